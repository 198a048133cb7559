"""Files, paths, shutil, input and getpass."""
import asyncio
import getpass
import json
import shutil
from pathlib import Path

CONFIG = Path("config.json")
log_file = open("app.log", "a")


async def read_config():
    with open("config.json") as f:  # AR105
        return json.load(f)


async def read_with_method():
    f = open("data.txt")  # AR105
    data = f.read()  # one problem, one finding: the open above
    f.close()
    return data


async def write_log(line):
    log_file.write(line + "\n")  # AR105


async def path_read():
    return CONFIG.read_text()  # AR105


async def path_join_write(folder, text):
    (Path(folder) / "out.txt").write_text(text)  # AR105


async def backup(src, dst):
    shutil.copy(src, dst)  # AR105


async def ask_name():
    name = input("Your name? ")  # AR106
    return name


async def ask_password():
    return getpass.getpass()  # AR106


def load_settings(path):
    with open(path) as f:
        return json.load(f)


async def through_helper():
    return load_settings("settings.json")  # AR105


async def clean_to_thread_read():
    return await asyncio.to_thread(CONFIG.read_text)


async def clean_path_only(folder):
    path = Path(folder) / "x.txt"
    return path.name, path.suffix, str(path)


async def clean_input_to_thread():
    return await asyncio.to_thread(input, "Your name? ")


async def clean_helper_to_thread():
    return await asyncio.to_thread(load_settings, "settings.json")


async def clean_json_text(text):
    return json.loads(text)


async def clean_own_open():
    class Door:
        def open(self):
            return "opened"

    return Door().open()
