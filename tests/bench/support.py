"""What the benchmark's end-to-end tests share."""

import socket


def redis_listens() -> bool:
    """Whether Redis answers on 127.0.0.1:6379, where the rate limits are kept."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0
