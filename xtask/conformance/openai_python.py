"""Drives the official openai-python SDK against `files serve` (OPENAI_BASE_URL, OPENAI_API_KEY).

Run by `cargo xtask conformance`; each check prints `ok <name>`, and the first failure exits
non-zero with what was expected and what came back.
"""

import hashlib
import io
import os
import sys
import tempfile
from pathlib import Path

import openai
from openai import OpenAI


def check(name, condition, detail=""):
    if not condition:
        sys.exit(f"FAIL python {name}: {detail}")
    print(f"ok   python {name}")


def jsonl(lines, seed):
    return b"".join(b'{"n":%d,"s":%d}\n' % (i, seed) for i in range(lines))


client = OpenAI()
work = Path(tempfile.mkdtemp(prefix="conformance-py-"))
data = jsonl(2000, 1)
path = work / "batch.jsonl"
path.write_bytes(data)

# files.create: from a path, from memory, from an open file (a stream).
by_path = client.files.create(file=path, purpose="batch")
check("create from a path", by_path.bytes == len(data) and by_path.filename == "batch.jsonl",
      by_path)
memory = jsonl(10, 2)
by_memory = client.files.create(file=("memory.jsonl", memory, "application/jsonl"),
                                purpose="batch")
check("create from memory", by_memory.bytes == len(memory), by_memory)
with open(path, "rb") as stream:
    by_stream = client.files.create(file=stream, purpose="batch")
check("create from a stream", by_stream.bytes == len(data), by_stream)
more = [client.files.create(file=(f"more-{i}.jsonl", jsonl(3, 10 + i)), purpose="batch")
        for i in range(3)]

# files.list with auto-pagination over pages of 2.
created = {f.id for f in [by_path, by_memory, by_stream, *more]}
listed = [f.id for f in client.files.list(limit=2)]
check("list with auto-pagination", set(listed) == created and len(listed) == len(created),
      f"{listed} vs {created}")
first = client.files.list(limit=2)
check("list pages carry has_more", first.has_more is True and len(first.data) == 2, first)

# retrieve, content, wait_for_processing, delete.
again = client.files.retrieve(by_path.id)
check("retrieve", again.id == by_path.id and again.bytes == len(data), again)
content = client.files.content(by_path.id).read()
check("content", content == data, f"{len(content)} bytes")
waited = client.files.wait_for_processing(by_path.id, poll_interval=0.1, max_wait_seconds=10)
check("wait_for_processing", waited.status == "processed", waited)
deleted = client.files.delete(by_memory.id)
check("delete", deleted.deleted and deleted.id == by_memory.id, deleted)

# 404s.
for what, call in [("retrieve", lambda: client.files.retrieve("file-missing")),
                   ("delete", lambda: client.files.delete("file-missing")),
                   ("content", lambda: client.files.content("file-missing").read())]:
    try:
        call()
        check(f"404 on {what}", False, "no error")
    except openai.NotFoundError as e:
        check(f"404 on {what}", e.status_code == 404 and "file-missing" in str(e), e)

# The Uploads API: parts sent out of order, completed in file order with the MD5.
big = jsonl(30000, 3)
third = len(big) // 3
pieces = [big[:third], big[third:2 * third], big[2 * third:]]
upload = client.uploads.create(bytes=len(big), filename="big.jsonl",
                               mime_type="application/jsonl", purpose="batch")
check("uploads.create", upload.status == "pending", upload)
parts = {}
for index in [2, 0, 1]:
    parts[index] = client.uploads.parts.create(upload_id=upload.id, data=pieces[index])
done = client.uploads.complete(upload_id=upload.id, part_ids=[parts[i].id for i in range(3)],
                               md5=hashlib.md5(big).hexdigest())
check("uploads.complete with md5", done.status == "completed" and done.file is not None
      and done.file.bytes == len(big), done)
check("the completed file's content", client.files.content(done.file.id).read() == big)
wrong = client.uploads.create(bytes=len(big), filename="big.jsonl",
                              mime_type="application/jsonl", purpose="batch")
part = client.uploads.parts.create(upload_id=wrong.id, data=big)
try:
    client.uploads.complete(upload_id=wrong.id, part_ids=[part.id], md5="0" * 32)
    check("a wrong md5 is refused", False, "completed")
except openai.BadRequestError as e:
    check("a wrong md5 is refused", e.status_code == 400, e)
cancel = client.uploads.create(bytes=10, filename="x.jsonl", mime_type="application/jsonl",
                               purpose="batch")
cancelled = client.uploads.cancel(cancel.id)
check("uploads.cancel", cancelled.status == "cancelled", cancelled)

# upload_file_chunked, from a path and from memory.
big_path = work / "chunked.jsonl"
big_path.write_bytes(big)
chunked = client.uploads.upload_file_chunked(file=big_path, mime_type="application/jsonl",
                                             purpose="batch", part_size=100_000)
check("upload_file_chunked from a path", chunked.status == "completed"
      and chunked.file.bytes == len(big), chunked)
chunked = client.uploads.upload_file_chunked(file=big, filename="mem.jsonl", bytes=len(big),
                                             mime_type="application/jsonl", purpose="batch",
                                             part_size=100_000)
check("upload_file_chunked from memory", chunked.status == "completed", chunked)
print(f"python SDK openai {openai.__version__}: every check passed")
