"""A real SMTP server for the mail tests (aiosmtpd, Debian `python3-aiosmtpd`).

Usage: server.py PORT DIR. Accepts every message on 127.0.0.1:PORT and writes each
to DIR as one file, its envelope recipients first (`X-Test-Envelope-To:` line), then
the message exactly as received. Prints `ready` once it listens; stops on SIGTERM.
"""

import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{os.getpid()}.eml"
        temp = os.path.join(self.directory, "." + name)
        with open(temp, "wb") as out:
            out.write(b"X-Test-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(envelope.original_content or envelope.content)
        os.rename(temp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Keep(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
