# measure.py — timing helpers for tests/bench/postfix.sh (run with
# /usr/bin/python3).  A benchmark tool, not a test.
#
#   measure.py runs N STDIN -- CMD...
#       runs CMD N times, one after another, STDIN on standard input;
#       prints one line of key=value: ok fail median min max total (ms,
#       wall), cpu (median user+system ms), rss (peak RSS, KiB),
#       over30 (runs slower than 30 ms), err (last failure, quoted);
#       the peak RSS comes from one more run under /usr/bin/time (a
#       child forked by Python starts with Python's pages, which
#       ru_maxrss would count), not counted in the times
#   measure.py once STDIN -- CMD...
#       runs CMD once under /usr/bin/time: "total=MS rss=KIB fail=0|1"
#       (the peak RSS of that very run, e.g. a queue flush)
#   measure.py trips STRACE-LOG
#       request/response round trips on the TCP sockets in an
#       "strace -f -yy" log (a send followed by a receive counts one)
#   measure.py wait-empty QUEUE-DIR SECS
#       waits until a Postfix queue directory holds nothing queued
import os, re, shlex, statistics, subprocess, sys, time


def runs(argv):
    n, stdin = int(argv[0]), argv[1]
    cmd = argv[3:]
    walls, cpus, fails, err = [], [], 0, ""
    for _ in range(n):
        with open(stdin, "rb") as inp, open(os.devnull, "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdin=inp, stdout=out,
                                 stderr=subprocess.PIPE)
            errtext = p.stderr.read()
            _, status, ru = os.wait4(p.pid, 0)
            t1 = time.perf_counter()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            fails += 1
            lines = errtext.decode("utf-8", "replace").strip().splitlines()
            err = "exit %d: %s" % (code, lines[-1] if lines else "")
        walls.append((t1 - t0) * 1000)
        cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
    rss = peak_rss(stdin, cmd)
    print("ok=%d fail=%d median=%.1f min=%.1f max=%.1f total=%.1f cpu=%.1f "
          "rss=%d over30=%d err=%s" % (
              n - fails, fails, statistics.median(walls), min(walls),
              max(walls), sum(walls), statistics.median(cpus), rss,
              sum(1 for w in walls if w > 30), shlex.quote(err)))


def once(argv):
    stdin, cmd = argv[0], argv[2:]
    out = "%s/measure.once.%d" % (os.environ.get("TMPDIR", "/tmp"), os.getpid())
    with open(stdin, "rb") as inp, open(os.devnull, "wb") as dn:
        t0 = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", out] + cmd,
                               stdin=inp, stdout=dn, stderr=dn)
        t1 = time.perf_counter()
    try:
        with open(out) as f:
            rss = int(f.read().split()[-1])
        os.unlink(out)
    except (OSError, ValueError, IndexError):
        rss = 0
    print("total=%.1f rss=%d fail=%d" % ((t1 - t0) * 1000, rss, code != 0))


def peak_rss(stdin, cmd):
    out = "%s.rss.%d" % (os.environ.get("TMPDIR", "/tmp") + "/measure", os.getpid())
    with open(stdin, "rb") as inp, open(os.devnull, "wb") as dn:
        subprocess.call(["/usr/bin/time", "-f", "%M", "-o", out] + cmd,
                        stdin=inp, stdout=dn, stderr=dn)
    try:
        with open(out) as f:
            return int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0
    finally:
        try:
            os.unlink(out)
        except OSError:
            pass


SEND = {"write", "sendto", "sendmsg", "writev", "send"}
RECV = {"read", "recvfrom", "recvmsg", "readv", "recv"}
CALL = re.compile(r"^(?:\d+\s+)?(\w+)\(\d+<TCP(?:v6)?:\[[^\]]*\]>.*\)\s+=\s+(-?\d+)")


def trips(argv):
    rt, last = 0, None
    for line in open(argv[0], errors="replace"):
        m = CALL.match(line)
        if not m or int(m.group(2)) <= 0:
            continue
        if m.group(1) in SEND:
            last = "send"
        elif m.group(1) in RECV:
            if last == "send":
                rt += 1
            last = "recv"
    print(rt)


def wait_empty(argv):
    q, end = argv[0], time.monotonic() + float(argv[1])
    subs = ("incoming", "active", "deferred", "maildrop", "hold")
    while time.monotonic() < end:
        if not any(files for s in subs
                   for _, _, files in os.walk(os.path.join(q, s))):
            return 0
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    what, rest = sys.argv[1], sys.argv[2:]
    if what == "runs":
        runs(rest)
    elif what == "once":
        once(rest)
    elif what == "trips":
        trips(rest)
    elif what == "wait-empty":
        sys.exit(wait_empty(rest))
    else:
        sys.exit("measure.py: runs | once | trips | wait-empty")
