#!/usr/bin/env python3
"""Load a page in headless Chromium, zoom its timeline, save a PNG.

Used by trace-screenshot.sh. Speaks the DevTools protocol over
--remote-debugging-pipe (fd 3 to Chromium, fd 4 back, NUL-separated JSON),
so it needs nothing beyond Python's standard library.

usage: trace_screenshot.py URL OUT.png [--wait S] [--zoom N] [--zoom-x X]
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import time


class Chromium:
    def __init__(self, width, height, profile_dir):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--user-data-dir=" + profile_dir,
             "--window-size=%d,%d" % (width, height), "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.id = 0
        self.dialogs = []

    def send(self, method, params=None, session=None):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buf:
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("method") == "Page.javascriptDialogOpening":
                # An alert blocks the page: report it and give up.
                raise RuntimeError("the page says: " + reply["params"]["message"])
            if reply.get("id") == self.id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def close(self):
        self.proc.kill()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--wait", type=float, default=10.0,
                    help="seconds for the page to load and lay out the trace")
    ap.add_argument("--zoom", type=int, default=19,
                    help="ctrl+wheel steps into the timeline")
    ap.add_argument("--zoom-x", type=int, default=800)
    ap.add_argument("--profile-dir", default="/tmp/exo-trace-screenshot-profile")
    a = ap.parse_args()

    c = Chromium(1600, 900, a.profile_dir)
    try:
        target = c.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = c.send("Target.attachToTarget",
                   {"targetId": target, "flatten": True})["sessionId"]
        c.send("Page.enable", {}, s)
        c.send("Page.navigate", {"url": a.url}, s)
        time.sleep(a.wait)
        for _ in range(a.zoom):
            c.send("Input.dispatchMouseEvent",
                   {"type": "mouseWheel", "x": a.zoom_x, "y": 80, "deltaX": 0,
                    "deltaY": -10, "modifiers": 2}, s)   # 2: ctrl, i.e. zoom
        time.sleep(1)
        png = c.send("Page.captureScreenshot", {"format": "png"}, s)["data"]
        with open(a.out, "wb") as f:
            f.write(base64.b64decode(png))
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
