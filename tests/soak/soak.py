#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/soak/soak.py — the soak and fault campaign's driver (tests/soak/README.md), run by
# soak.sh inside a user + mount namespace whose tmpfs holds the Store. For SECONDS it keeps
# `workledger serve --http` under mixed load (writers remembering memories and running claim →
# evidence → release, readers recalling and listing, /health polls) while: the server is
# SIGKILLed and restarted every KILL_EVERY seconds (doctor runs between death and restart),
# the disk is filled to below the Store's free-space margin and freed again, and slow clients
# hold sockets open with a request head that gains one byte a second. It records every
# acknowledged write, then (server stopped with SIGTERM) checks each one is in the Store,
# samples the server's RSS every 5 s, and writes a JSON report plus a summary on stdout.
# Exit 0 only when no acknowledged call is lost, every doctor run between kills passed or
# named the full disk, and the unkilled last phase grew its anonymous RSS by less than 10%.
import json, os, signal, socket, sqlite3, subprocess, sys, threading, time, urllib.request

BIN, SECONDS, REPORT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DISK = len(sys.argv) > 4 and sys.argv[4] == "disk"
TOKEN = "soak-token-0123456789abcdef"
KILL_EVERY = 45 if SECONDS >= 300 else max(10, SECONDS // 6)
QUIET_TAIL = 180 if SECONDS >= 480 else SECONDS // 3  # the last phase: no kills, RSS judged
FILL_EVERY, FILL_FOR = (100, 15) if SECONDS >= 300 else (max(15, SECONDS // 4), 6)
WRITERS, READERS, SLOW = 4, 1, 40
T0 = time.monotonic()
stop = threading.Event()
lock = threading.Lock()
st = {"acked": {"remember": [], "claim": [], "release": []}, "calls": 0, "ok": 0,
      "refused_full": 0, "conn_fail": 0, "other_err": 0, "health": {}, "health_max_s": 0.0,
      "slow_408": 0, "kills": 0, "start_refused": 0, "start_refused_last": "", "doctor": [], "fills": 0, "rss": [], "errors_seen": []}
srv = {"proc": None, "port": None, "inc": 0, "started": 0.0}


def now():
    return time.monotonic() - T0


def start_server():
    try:
        os.unlink("port")
    except FileNotFoundError:
        pass
    err = open("server.err", "ab")
    p = subprocess.Popen([BIN, "serve", "--http", "127.0.0.1:0", "--port-file", "port"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(600):
        if os.path.exists("port") and os.path.getsize("port") > 0:
            break
        if p.poll() is not None:
            break
        time.sleep(0.05)
    port = open("port").read().strip() if os.path.exists("port") else None
    if port is None:  # refused to start (a full disk: the Store cannot be opened) or hung
        if p.poll() is None:
            p.kill()
        p.wait()
        last = open("server.err", "rb").read().decode(errors="replace").strip().splitlines()
        with lock:
            st["start_refused"] += 1
            st["start_refused_last"] = last[-1][:200] if last else ""
        return False
    with lock:
        srv.update(proc=p, port=port, inc=srv["inc"] + 1, started=now())
    return True


def doctor(tag):
    r = subprocess.run([BIN, "doctor"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=300)
    line = (r.stderr.decode(errors="replace").strip().splitlines() or [""])[-1][:200]
    with lock:
        st["doctor"].append({"t": round(now()), "when": tag, "rc": r.returncode,
                             "full": "is full" in r.stderr.decode(errors="replace"),
                             "line": line})


def rpc(name, args, timeout=30):
    """One tools/call. Returns ("ok", result) | ("full", msg) | ("conn", msg) | ("err", msg)."""
    port = srv["port"]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": name, "arguments": args}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%s/mcp" % port, body, {
        "Authorization": "Bearer " + TOKEN, "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            m = json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            m = json.loads(e.read() or b"{}")
        except ValueError:
            return "conn", "HTTP %d" % e.code
    except Exception as e:  # refused, reset, timeout: the server is down or restarting
        return "conn", str(e)[:120]
    res = m.get("result") or {}
    if "error" in m or res.get("isError"):
        text = json.dumps(m)
        return ("full" if "is full" in text else "err"), text[:300]
    sc = res.get("structuredContent")
    if sc is None:
        try:
            sc = json.loads(res["content"][0]["text"])
        except (KeyError, IndexError, ValueError):
            sc = {}
    return "ok", sc


def count(kind, msg=None):
    with lock:
        st["calls"] += 1
        st[{"ok": "ok", "full": "refused_full", "conn": "conn_fail", "err": "other_err"}[kind]] += 1
        if kind == "err" and len(st["errors_seen"]) < 20:
            st["errors_seen"].append(msg)


def writer(w):
    n = 0
    while not stop.is_set():
        n += 1
        if n % 5:
            content = "soak k%dx%d %s" % (w, n, "m" * 120)  # k<w>x<n>: one FTS token
            k, r = rpc("motebit_remember", {"content": content})
            count(k, r)
            if k == "ok":
                with lock:
                    st["acked"]["remember"].append(content)
        else:
            k, r = rpc("motus_work_claim", {"work_id": "SOAK-%d-%d" % (w, n), "intent": "soak"})
            count(k, r)
            if k != "ok":
                continue
            lease = r.get("lease_id")
            with lock:
                st["acked"]["claim"].append(lease)
            k, r = rpc("motus_work_evidence", {"lease_id": lease, "kind": "test_result",
                                               "passed": n, "failed": 0})
            count(k, r)
            k, r = rpc("motus_work_release", {"lease_id": lease, "outcome": "success",
                                              "summary": "soak %d" % n})
            count(k, r)
            if k == "ok":
                with lock:
                    st["acked"]["release"].append(lease)
        if k == "conn":
            time.sleep(0.2)  # the server is restarting
        stop.wait(0.01)  # a pause per call: the Store grows by ~1 GiB in 10 min without it


def reader():
    i = 0
    while not stop.is_set():
        i += 1
        # selective reads (one recent memory, the open leases): the working set stays the same
        # size while the Store grows, so the RSS of the last phase measures leaks, not data
        with lock:
            recent = st["acked"]["remember"][-50:]
        word = recent[i % len(recent)].split()[1] if recent else "k0x1"
        k, r = (rpc("motebit_recall", {"query": word, "limit": 5})
                if i % 2 else rpc("motus_work_list", {"open": True}))
        count(k, r)
        if k == "conn":
            time.sleep(0.2)


def health():
    while not stop.is_set():
        t = time.monotonic()
        try:
            code = urllib.request.urlopen("http://127.0.0.1:%s/health" % srv["port"],
                                          timeout=30).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = "down"
        dt = time.monotonic() - t
        with lock:
            st["health"][str(code)] = st["health"].get(str(code), 0) + 1
            if code != "down":
                st["health_max_s"] = max(st["health_max_s"], dt)
        stop.wait(2)


def slow_clients():
    socks = []
    while not stop.is_set():
        while len(socks) < SLOW:
            try:
                s = socket.create_connection(("127.0.0.1", int(srv["port"])), timeout=2)
                s.setblocking(False)
                s.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                socks.append(s)
            except Exception:
                break
        keep = []
        for s in socks:
            try:
                data = s.recv(4096)
                if data.startswith(b"HTTP/1.1 408"):
                    with lock:
                        st["slow_408"] += 1
                if data is not None:  # answered or closed: open a new one
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except Exception:
                s.close()
                continue
            try:
                s.send(b"X")
                keep.append(s)
            except Exception:
                s.close()
        socks = keep
        stop.wait(1)
    for s in socks:
        s.close()


def rss_of(pid):
    out = {}
    try:
        for line in open("/proc/%d/status" % pid):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def sampler():
    while not stop.is_set():
        p = srv["proc"]
        if p and p.poll() is None:
            r = rss_of(p.pid)
            for k, f in (("db_kib", ".motus/kernel-store.db"),
                         ("wal_kib", ".motus/kernel-store.db-wal")):
                try:
                    r[k] = os.path.getsize(f) // 1024
                except OSError:
                    r[k] = 0
            if r:
                with lock:
                    st["rss"].append({"t": round(now()), "inc": srv["inc"],
                                      "age": round(now() - srv["started"]), **r})
        stop.wait(5)


def fill_disk():
    keep = 1 << 20  # below the 4 MiB margin: every write is refused with the disk-full message
    with open("filler", "wb") as f:
        size = 0
        while True:
            v = os.statvfs(".")
            free = v.f_bavail * v.f_frsize
            if free <= keep:
                break
            step = min(free - keep, 64 << 20)
            try:
                os.posix_fallocate(f.fileno(), size, step)
                size += step
            except OSError:
                break  # the Store took the rest meanwhile: full enough
    with lock:
        st["fills"] += 1


def main():
    subprocess.run([BIN, "init", "--quiet"], check=True)
    json.dump({"policy": {"preset": "autonomous"},
               "http": {"tokens": [{"name": "soak", "token": TOKEN}]}},
              open(".motus/config.json", "w"))
    if not start_server():
        print("FAIL: the server did not start")
        return 1
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=reader) for _ in range(READERS)]
    threads += [threading.Thread(target=f) for f in (health, slow_clients, sampler)]
    for t in threads:
        t.start()
    next_kill, next_fill, full_until, down = KILL_EVERY, FILL_EVERY, None, False
    while now() < SECONDS:
        time.sleep(0.5)
        if DISK and full_until is None and now() >= next_fill:
            fill_disk()
            full_until = now() + FILL_FOR
        if full_until is not None and now() >= full_until:
            os.unlink("filler")
            full_until, next_fill = None, now() + FILL_EVERY
        if not down and now() >= next_kill and now() < SECONDS - QUIET_TAIL:
            srv["proc"].send_signal(signal.SIGKILL)
            srv["proc"].wait()
            with lock:
                st["kills"] += 1
            doctor("after SIGKILL%s" % (" (disk full)" if full_until else ""))
            down = True
        if down:  # restart; on a full disk the Store refuses to open: retry once it is freed
            down = not start_server()
            next_kill = now() + KILL_EVERY
    if down:
        if full_until is not None:
            os.unlink("filler")
            full_until = None
        if not start_server():
            print("FAIL: the server did not restart: %s" % st["start_refused_last"])
            stop.set()
            for t in threads:
                t.join()
            return verify(None)
    stop.set()
    for t in threads:
        t.join()
    if full_until is not None:
        os.unlink("filler")
    srv["proc"].send_signal(signal.SIGTERM)
    term_rc = srv["proc"].wait(timeout=60)
    doctor("final")
    return verify(term_rc)


def verify(term_rc):
    db = sqlite3.connect(os.environ.get("MOTUS_KERNEL_STORE_PATH", ".motus/kernel-store.db"))
    mem = {r[0] for r in db.execute("SELECT content FROM memories")}
    leases = {r[0] for r in db.execute("SELECT lease_id FROM runs")}
    rel = {r[0] for r in db.execute(
        "SELECT idempotency_key FROM events WHERE idempotency_key LIKE 'release:%'")}
    a = st["acked"]
    lost = {"remember": [c for c in a["remember"] if c not in mem],
            "claim": [x for x in a["claim"] if x not in leases],
            "release": [x for x in a["release"] if "release:" + x not in rel]}
    n_acked = sum(len(v) for v in a.values())
    n_lost = sum(len(v) for v in lost.values())
    last = [s for s in st["rss"] if s["inc"] == srv["inc"]]
    base = next((s for s in last if s["age"] >= 30), last[0] if last else None)
    end = last[-1] if last else None
    growth = {k: (round(100.0 * (end[k] - base[k]) / base[k], 1) if base and base.get(k) else None)
              for k in ("VmRSS", "RssAnon")}
    doctor_bad = [d for d in st["doctor"] if d["rc"] != 0 and not d["full"]]
    rep = {"seconds": SECONDS, "kill_every_s": KILL_EVERY, "quiet_tail_s": QUIET_TAIL,
           "disk_cycles": st["fills"], "kills": st["kills"], "incarnations": srv["inc"],
           "calls": st["calls"], "calls_ok": st["ok"], "refused_disk_full": st["refused_full"],
           "connection_failures": st["conn_fail"], "other_errors": st["other_err"],
           "errors_seen": st["errors_seen"], "acknowledged": {k: len(v) for k, v in a.items()},
           "acknowledged_total": n_acked, "lost_total": n_lost,
           "lost_sample": {k: v[:5] for k, v in lost.items()},
           "health": st["health"], "health_max_s": round(st["health_max_s"], 3),
           "slow_clients": SLOW, "slow_408": st["slow_408"], "sigterm_exit": term_rc,
           "restarts_refused": st["start_refused"], "restart_refused_last": st["start_refused_last"],
           "doctor": st["doctor"], "doctor_failures": len(doctor_bad),
           "rss_last_phase": {"baseline": base, "end": end, "growth_pct": growth},
           "rss_max_kib": max((s["VmRSS"] for s in st["rss"]), default=None),
           "rss_samples": st["rss"]}
    json.dump(rep, open(REPORT, "w"), indent=1)
    ok = n_lost == 0 and not doctor_bad and term_rc == 0 and n_acked > 0 and \
        growth["RssAnon"] is not None and growth["RssAnon"] < 10
    print("soak: %d s, %d kills, %d disk-full cycles, %d calls (%d ok, %d refused disk full, "
          "%d connection failures, %d other errors)" % (SECONDS, st["kills"], st["fills"],
                                                        st["calls"], st["ok"], st["refused_full"],
                                                        st["conn_fail"], st["other_err"]))
    print("soak: acknowledged %s = %d, lost %d" % (rep["acknowledged"], n_acked, n_lost))
    print("soak: doctor %d runs, %d failures not naming the full disk; SIGTERM exit %s; "
          "restarts refused (full disk) %d: %s" % (len(st["doctor"]), len(doctor_bad), term_rc,
                                                   st["start_refused"], st["start_refused_last"]))
    print("soak: /health %s, slowest answer %.3f s; slow-client 408s %d" %
          (st["health"], st["health_max_s"], st["slow_408"]))
    print("soak: last phase RSS %s -> %s KiB (VmRSS %s%%, RssAnon %s%%); max VmRSS %s KiB" %
          (base and base.get("VmRSS"), end and end.get("VmRSS"), growth["VmRSS"],
           growth["RssAnon"], rep["rss_max_kib"]))
    print("soak: %s (report %s)" % ("PASS" if ok else "FAIL", REPORT))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        stop.set()
        if srv["proc"] and srv["proc"].poll() is None:
            srv["proc"].kill()
    sys.exit(rc)
