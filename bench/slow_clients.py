"""Opens N concurrent downloads that each read slowly, holds them for SECONDS or until
SIGTERM, and prints how many were still reading at the end (the server dropped none of
them). Used by bench/lib.sh to measure the server's memory per slow download. Loopback only.

    python3 bench/slow_clients.py URL COUNT SECONDS BYTES_PER_SECOND
"""
import asyncio
import signal
import sys
from urllib.parse import urlsplit


async def slow_download(host, port, path, seconds, rate, alive):
    reader, writer = await asyncio.open_connection(host, port, limit=4096)
    # A tiny receive buffer makes the server feel a slow client at once.
    writer.transport.get_extra_info("socket").setsockopt(__import__("socket").SOL_SOCKET,
                                                          __import__("socket").SO_RCVBUF, 4096)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    got = 0
    while loop.time() < deadline:
        chunk = await reader.read(max(1, rate // 10))
        if not chunk:
            break
        got += len(chunk)
        await asyncio.sleep(0.1)
    else:
        alive.append(got)
    writer.close()


async def main():
    url, count, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    parts = urlsplit(url)
    alive = []
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(slow_download(parts.hostname, parts.port, parts.path, seconds, rate, alive)))
        await asyncio.sleep(0.002)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    everything = asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait([everything, asyncio.create_task(stopped.wait())], return_when=asyncio.FIRST_COMPLETED)
    if stopped.is_set():  # still reading: every task not ended yet
        print(sum(1 for task in tasks if not task.done()))
    else:
        print(len(alive))


asyncio.run(main())
