#!/usr/bin/env python3
"""Open an `exo trace` file in Chromium's own trace viewer, save a PNG.

The viewer is the Performance panel of the DevTools front end that Chromium
carries inside it, served by its remote-debugging HTTP port as
/devtools/trace_app.html: it reads Chrome trace-event JSON, the format
ui.perfetto.dev opens. The trace is handed to the panel's loadFromFile,
the visible window is set to WINDOW microseconds (default: 1.6 ms in the
middle of the run), and the track groups are opened by clicking where
Chromium 156 (Debian 12) draws them. Everything speaks the DevTools
protocol over --remote-debugging-pipe, so it needs only Python's standard
library and the chromium package.

usage: trace_screenshot.py TRACE.json OUT.png [--window-us START:END]
"""
import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


class Chromium:
    def __init__(self, width, height, profile_dir, port):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--remote-debugging-port=%d" % port,
             "--user-data-dir=" + profile_dir,
             "--window-size=%d,%d" % (width, height), "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.id = 0
        self.session = None

    def send(self, method, params=None):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buf:
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def evaluate(self, js):
        r = self.send("Runtime.evaluate", {"expression": js, "awaitPromise": True,
                                           "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"].get("exception", {})
                               .get("description", "the page's script failed"))
        return r["result"].get("value")

    def key(self, name, code):
        for t in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": t, "key": name, "code": name,
                                                 "windowsVirtualKeyCode": code})

    def click(self, x, y):
        for t in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": t, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})
        time.sleep(0.7)

    def close(self):
        self.proc.kill()
        self.proc.wait()


# The panel's modules, as the remote-debugging port serves them.
LOAD = """(async () => {
  const T = await import('/devtools/panels/timeline/timeline.js');
  const UI = await import('/devtools/ui/legacy/legacy.js');
  await UI.ViewManager.ViewManager.instance().showView('timeline');
  const file = new File([%s], 'trace.json', {type: 'application/json'});
  await T.TimelinePanel.TimelinePanel.instance().loadFromFile(file);
  return 'loaded';
})()"""

WINDOW = """(async () => {
  const B = await import('/devtools/services/trace_bounds/trace_bounds.js');
  const m = B.TraceBounds.BoundsManager.instance();
  const all = m.state().micro.entireTraceBounds;
  let lo = %s, hi = %s;
  if (lo < 0) { lo = all.min + all.range / 2; hi = lo + 1600; }
  m.setTimelineVisibleWindow({min: lo, max: hi, range: hi - lo});
  return [all.min, all.max, lo, hi];
})()"""

# Where Chromium 156 draws the toggles, in order (each click moves what is
# below it): the threads group, the kernel group, the drawer's close box,
# the sidebar toggle, vCPU 0's track, then threads 6.1 and 4.1 of ping-pong.
CLICKS = [(249, 129), (249, 230), (1580, 726), (15, 40), (20, 246), (20, 166), (20, 145)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--window-us", default="",
                    help="START:END in the viewer's microseconds (default: 1.6 ms "
                    "in the middle of the run)")
    ap.add_argument("--wait", type=float, default=30.0,
                    help="seconds to wait for the viewer to come up")
    a = ap.parse_args()
    with open(a.trace) as f:
        data = f.read()
    json.loads(data)                      # a clear error here, not in the page
    lo, hi = (a.window_us.split(":") + [""])[:2] if a.window_us else ("-1", "-1")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="exo-trace-viewer-") as profile:
        c = Chromium(1600, 1000, profile, port)
        try:
            target = c.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            c.session = c.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
            c.send("Page.enable")
            c.send("Runtime.enable")
            c.send("Page.navigate",
                   {"url": "http://127.0.0.1:%d/devtools/trace_app.html" % port})
            deadline = time.time() + a.wait
            while True:
                time.sleep(1)
                try:
                    c.evaluate(LOAD % json.dumps(data))
                    break
                except RuntimeError:
                    if time.time() > deadline:
                        raise
            time.sleep(5)                     # the panel lays out the trace
            for _ in range(2):                # the "connection closed" box, tips
                c.key("Escape", 27)
                time.sleep(0.5)
            c.evaluate(WINDOW % (float(lo), float(hi or lo)))
            time.sleep(1)
            for x, y in CLICKS:
                c.click(x, y)
            time.sleep(2)
            png = c.send("Page.captureScreenshot", {"format": "png"})["data"]
            with open(a.out, "wb") as f:
                f.write(base64.b64decode(png))
        finally:
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
