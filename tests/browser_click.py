#!/usr/bin/python3
"""browser_click.py - a real browser on a page: headless Chromium (Debian's
chromium) driven over its DevTools protocol (python3-websocket) opens URL,
saves a screenshot, clicks the button labelled LABEL with the mouse (the
page has no JavaScript of its own: the click submits its form), waits for
the answer page, saves a second screenshot and prints the answer's text.

  browser_click.py URL LABEL OUTDIR
Exit 0 when the click led to a new page, 1 otherwise; 2 on a set-up error.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Tab:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=20, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def wait_event(self, name, seconds=20):
        end = time.time() + seconds
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == name:
                return msg
        raise RuntimeError("no %s within %d s" % (name, seconds))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def text(self):
        r = self.call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
        return r["result"]["value"]


def start_browser(profile):
    proc = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=900,700",
         "--user-data-dir=" + profile, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().count("\n") >= 1:
            port = open(port_file).read().split("\n")[0]
            with urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            if pages:
                return proc, pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.1)
    proc.kill()
    sys.exit("chromium did not start")


def main(url, label, outdir):
    profile = tempfile.mkdtemp()
    proc, ws_url = start_browser(profile)
    try:
        tab = Tab(ws_url)
        tab.call("Page.enable")
        tab.call("Page.navigate", url=url)
        tab.wait_event("Page.loadEventFired")
        tab.screenshot(os.path.join(outdir, "page.png"))
        # Where the button is on the screen: the browser's layout, read by
        # the test; the page itself runs no script.
        where = tab.call("Runtime.evaluate", returnByValue=True, expression=(
            "(() => { const b = [...document.querySelectorAll('button')]"
            ".find(b => b.textContent.trim() === %s);"
            " if (!b) return null; const r = b.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(label)
        ))["result"].get("value")
        if not where:
            print("no button labelled %r" % label)
            return 1
        x, y = where
        tab.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        tab.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left",
                 clickCount=1)
        tab.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left",
                 clickCount=1)
        tab.wait_event("Page.loadEventFired")
        tab.screenshot(os.path.join(outdir, "result.png"))
        print(tab.text())
        return 0
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
