"""sqlite3 and other DB-API drivers, sync redis, SQLAlchemy sessions."""
import asyncio
import sqlite3

import aiosqlite
import psycopg2
import redis
import redis.asyncio as aioredis
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("sqlite:///app.db")
SessionLocal = sessionmaker(bind=engine)
cache = redis.Redis(host="localhost")


async def sqlite_query(user_id):
    conn = sqlite3.connect("app.db")  # AR110
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE id = ?", (user_id,))  # AR110
    return cur.fetchone()  # AR110


async def sqlite_shortcut():
    with sqlite3.connect("app.db") as conn:  # AR110
        return conn.execute("SELECT 1").fetchall()  # AR110


async def postgres():
    conn = psycopg2.connect("dbname=app")  # AR110
    conn.commit()  # AR110


async def redis_get(key):
    return cache.get(key)  # AR110


async def redis_from_url(key, value):
    client = redis.from_url("redis://localhost")
    client.set(key, value)  # AR110


async def sqlalchemy_session(user_id):
    with Session(engine) as session:
        return session.get(dict, user_id)  # AR110


async def sqlalchemy_factory():
    db = SessionLocal()
    db.execute(text("SELECT 1"))  # AR110
    db.commit()  # AR110


async def sqlalchemy_connection():
    with engine.connect() as conn:  # AR110
        return conn.execute(text("SELECT 1"))  # AR110


def count_users(db_path):
    conn = sqlite3.connect(db_path)
    return conn.execute("SELECT count(*) FROM users").fetchone()[0]


async def through_helper():
    return count_users("app.db")  # AR110


class Repository:
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    async def all_users(self):
        return self.conn.execute("SELECT * FROM users").fetchall()  # AR110


async def clean_aiosqlite():
    async with aiosqlite.connect("app.db") as db:
        async with db.execute("SELECT 1") as cursor:
            return await cursor.fetchone()


async def clean_async_redis(key):
    client = aioredis.Redis()
    return await client.get(key)


async def clean_to_thread():
    return await asyncio.to_thread(count_users, "app.db")


async def clean_session_add(user):
    db = SessionLocal()
    db.add(user)
    return db


async def clean_dict_cache(key):
    cache = {}
    return cache.get(key)
