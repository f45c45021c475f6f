#!/usr/bin/python3
"""`roomwatch report --format html` (issue 18): one self-contained page, rendered by Debian's
headless Chromium.

The reference-room year (tests/tools/gen_trace.py, 2024) replayed with --db into a store; the
HTML report of it must reference nothing outside itself (no script, link, image or url()),
hold the form table with every indicator's target, and one chart per indicator with monthly
values, the supply calendar (its two lost days red, its unverified day grey) and the
incident timeline. Chromium renders it with no console message, its DOM has every chart,
and it prints to an A4 PDF (pdfinfo: 595 x 842 pt pages) whose text holds the form's title
in Chinese (fonts-noto-cjk). The screenshot and the PDF are kept in the build tree
(report-html.png, report-html.pdf) for people to look at.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

from harness import BUILD, EMULATOR, SRC, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
GEN = os.path.join(SRC, "tests", "tools", "gen_trace.py")
CHROMIUM = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions"]


class Charts(HTMLParser):
    """The charts, the calendar's day colours, and anything that would load from outside."""

    def __init__(self):
        super().__init__()
        self.charts, self.external, self.days, self.title = [], [], {}, False
        self._rect = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "data-chart" in a:
            self.charts.append(a["data-chart"])
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append(tag)
        if tag == "rect" and "fill" in a:
            self._rect = a["fill"]

    def handle_data(self, data):
        m = re.match(r"(\d{4}-\d\d-\d\d) ", data)
        if self._rect is not None and m:
            self.days[m.group(1)] = self._rect
        self._rect = None


def chromium(tmp, *args):
    env = dict(os.environ, HOME=tmp)  # a profile of its own, not the user's
    return subprocess.run(CHROMIUM + ["--user-data-dir=" + os.path.join(tmp, "profile")]
                          + list(args), capture_output=True, text=True, timeout=120, env=env)


def test():
    tmp = tempfile.mkdtemp(prefix="rw-html-")
    try:
        here = os.path.dirname(CFG)
        with open(CFG) as f:
            text = f.read()
        cfg = os.path.join(tmp, "ref.cfg")
        with open(cfg, "w") as f:
            f.write(text.replace('profile_dir = ["profiles", "../profiles"];',
                                 'profile_dir = ["%s", "%s"];\nstate_dir = "%s";'
                                 % (os.path.join(here, "profiles"),
                                    os.path.join(here, "..", "profiles"),
                                    os.path.join(tmp, "state"))))
        os.makedirs(os.path.join(tmp, "state"))
        trace = os.path.join(tmp, "year.csv")
        subprocess.run(["/usr/bin/python3", GEN, "-o", trace], check=True, timeout=120)
        r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", cfg, "--trace", trace, "--db",
                                       os.path.join(tmp, "state", "roomwatch.db")],
                           capture_output=True, text=True, timeout=180)
        check(r.returncode == 0, "replay: " + r.stderr)
        r = subprocess.run(EMULATOR + [ROOMWATCH, "status", "-c", cfg, "--year", "2024", "--json"],
                           capture_output=True, text=True, timeout=60)
        status = json.loads(r.stdout)
        page = os.path.join(tmp, "report.html")
        r = subprocess.run(EMULATOR + [ROOMWATCH, "report", "-c", cfg, "--year", "2024", "-o",
                                       page], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "report html: " + r.stderr)
        with open(page, encoding="utf-8") as f:
            html = f.read()

        p = Charts()
        p.feed(html)
        check(p.external == [] and "url(" not in html and "http://" not in
              html.replace("http://www.w3.org/2000/svg", ""),
              "the page loads something from outside: %r" % p.external)
        check("@page { size: A4" in html, "no A4 print style")
        for ind in status["indicators"]:
            check(ind["name"] in html and (ind["target"] is None or ind["target"] in html),
                  "%s or its target is not on the page" % ind["id"])
        want = ["monthly-" + i["id"] for i in status["indicators"] if i["kind"] != "energy"]
        want += ["calendar-supply_days", "timeline"]
        check(sorted(p.charts) == sorted(want), "charts %r, want %r" % (p.charts, want))
        lost = {d for d, c in p.days.items() if c == "#c62828"}
        grey = {d for d, c in p.days.items() if c == "#9e9e9e"}
        check(len(p.days) == 366 and lost == {"2024-03-10", "2024-03-11"} and
              grey == {"2024-09-05"}, "calendar: %d days, lost %r, unverified %r"
              % (len(p.days), lost, grey))

        url = "file://" + page
        r = chromium(tmp, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                     "--dump-dom", url)
        check(r.returncode == 0, "chromium --dump-dom: " + r.stderr[-2000:])
        console = [l for l in r.stderr.splitlines() if "CONSOLE" in l]
        check(console == [], "console messages: %r" % console)
        dom = Charts()
        dom.feed(r.stdout)
        check(sorted(dom.charts) == sorted(want), "rendered charts %r" % dom.charts)

        png = os.path.join(BUILD, "report-html.png")
        pdf = os.path.join(BUILD, "report-html.pdf")
        for f in (png, pdf):
            if os.path.exists(f):
                os.unlink(f)
        r = chromium(tmp, "--window-size=1200,1600", "--screenshot=" + png, url)
        check(os.path.getsize(png) > 10000 if os.path.exists(png) else False,
              "no screenshot: " + r.stderr[-2000:])
        r = chromium(tmp, "--no-pdf-header-footer", "--virtual-time-budget=5000",
                     "--print-to-pdf=" + pdf, url)
        check(os.path.exists(pdf), "no PDF: " + r.stderr[-2000:])
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, timeout=30).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
        check(size and abs(float(size.group(1)) - 595) < 2 and abs(float(size.group(2)) - 842) < 2,
              "not A4: %r" % info)
        txt = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                             timeout=30).stdout
        check("项目支出绩效自评表" in txt and "计划机房供电天数" in txt,
              "the PDF's text lacks the Chinese title: %r" % txt[:300])
        print("report-html: %d A4 pages, screenshot %s, PDF %s" % (pages, png, pdf))
    finally:
        shutil.rmtree(tmp)


run(test)
