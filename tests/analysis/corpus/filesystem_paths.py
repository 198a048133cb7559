"""File-system calls besides open, paths built from expressions, SSL contexts that read files,
and pure path strings that touch nothing."""
import asyncio
import os
import os.path
import shutil
import ssl
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
DATA = Path(__file__).resolve().parent / "data"


async def path_exists(name):
    return (HERE / name).exists()  # AR105


async def stat_a_path(folder):
    return Path(folder).stat().st_size  # AR105


async def make_folder(folder):
    Path(folder).mkdir(parents=True, exist_ok=True)  # AR105


async def list_data():
    return [p.name for p in DATA.iterdir()]  # AR105


async def read_each(folder):
    for path in Path(folder).glob("*.json"):  # AR105
        print(path.read_text())  # AR105


async def touch_and_remove(name):
    path = HERE.parent / name
    path.touch()  # AR105
    path.unlink()  # AR105


async def with_name_read():
    return Path(__file__).with_name("VERSION").read_text()  # AR105


async def os_calls(folder):
    os.makedirs(folder, exist_ok=True)  # AR105
    return os.listdir(folder)  # AR105


async def os_scandir(folder):
    with os.scandir(folder) as entries:  # AR105
        return [e.name for e in entries]


async def os_remove(path):
    os.remove(path)  # AR105


async def os_path_exists(path):
    return os.path.exists(path)  # AR105


async def shutil_beyond_copies(folder):
    shutil.make_archive("backup", "zip", folder)  # AR105


async def temp_file():
    with tempfile.NamedTemporaryFile() as f:  # AR105
        f.write(b"x")


async def temp_dir():
    with tempfile.TemporaryDirectory() as folder:  # AR105
        return folder


async def ssl_with_cafile(cafile):
    return ssl.create_default_context(cafile=cafile)  # AR105


async def ssl_load_chain(cert, key):
    context = ssl.create_default_context()
    context.load_cert_chain(cert, key)  # AR105
    return context


async def ssl_verify_locations(context: ssl.SSLContext, cafile):
    context.load_verify_locations(cafile)  # AR105


async def clean_ssl_default_context():
    return ssl.create_default_context()


async def clean_ssl_cadata(pem):
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=pem)
    return context


async def clean_pure_path_strings(folder, name):
    joined = os.path.join(folder, name)
    return os.path.normpath(joined), os.path.abspath(joined), os.path.basename(joined)


async def clean_path_arithmetic(name):
    path = HERE / name
    return path.name, path.suffix, path.with_suffix(".txt").stem, str(path.parent)


async def clean_path_offloaded(name):
    return await asyncio.to_thread((HERE / name).read_text)


async def clean_exists_offloaded(name):
    return await asyncio.to_thread(os.path.exists, name)


async def clean_splitext(name):
    return os.path.splitext(name)[0], os.path.dirname(name), os.sep


async def clean_temp_dir_name():
    return tempfile.gettempdir()


async def clean_own_stat():
    class Counter:
        def stat(self):
            return 1

    return Counter().stat()


async def clean_dict_get_exists(seen, key):
    return seen.get(key), key in seen


async def clean_path_string_join(parts):
    return "/".join(parts)


async def clean_glob_of_str(pattern):
    return pattern.replace("*", "")
