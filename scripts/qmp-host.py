#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp-host.py: the host side of a guest run, between QEMU's console and
the log (scripts/qemu-boot.sh puts it in the console pipe).

It copies the console from stdin to stdout line by line and
  - runs the guest's requests: a console line holding
        VTD-HOST: <seq> <command> <key=value,...>
    (scenarios/lib/host.sh writes them) is run once per <seq> over QMP:
        device_add driver=D,id=I,...   QMP device_add
        device_del id=I                QMP device_del
        wakeup delay=S                 QMP system_wakeup S seconds later
    Anything else is refused. What was done is printed as a
    "# qemu-boot: host: ..." line, with QEMU's events (DEVICE_DELETED,
    SUSPEND, WAKEUP, ...) as "# qemu-boot: qmp event: ..." lines;
  - enforces the run's time limit: at --deadline seconds it asks the
    guest for every CPU's backtrace (SysRq-L on the emulated keyboard),
    prints where the vCPUs are (HMP "info cpus", "info registers -a") and
    the boot CPU's local APIC (HMP "info lapic": IRR, ISR, TPR/PPR, timer),
    writes
    --timeout-file, and stops QEMU with QMP "quit".

Only Python 3's standard library: socket and json.
"""

import argparse
import json
import os
import queue
import re
import socket
import sys
import threading
import time

PREFIX = "# qemu-boot: "
REQUEST = re.compile(r"VTD-HOST: (\d+) (\S+) ?(\S*)")
# device_add properties and ids: nothing that could be a path or option
# outside the QEMU object model.
PROP = re.compile(r"^[A-Za-z0-9_.-]+=[A-Za-z0-9_.:/+-]*$")

out_lock = threading.Lock()


def emit(line):
    """One line to stdout (the console copy and the log), whole."""
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def note(text):
    emit(PREFIX + text)


class Qmp:
    """A QMP client on QEMU's unix socket: one command at a time, events
    printed as they come."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""
        self.lock = threading.Lock()
        self.replies = []
        self.cond = threading.Condition()
        self.dead = False
        # ids whose device_del QEMU accepted but not yet finished (the
        # guest's pciehp powers the slot off 5 s after the button press;
        # only then does QEMU send DEVICE_DELETED and free the id).
        self.deleting = set()

    def connect(self, wait):
        """Connect and leave capabilities negotiation; False after wait s."""
        end = time.monotonic() + wait
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.path)
                break
            except OSError:
                s.close()
                if time.monotonic() > end:
                    return False
                time.sleep(0.2)
        self.sock = s
        threading.Thread(target=self._reader, daemon=True).start()
        greeting = self._wait_reply(10, greeting=True)
        if greeting is None:
            return False
        return "return" in self.command("qmp_capabilities")

    def _reader(self):
        f = self.sock.makefile("rb")
        while True:
            try:
                raw = f.readline()
            except OSError:
                raw = b""
            if not raw:
                break
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if "event" in msg:
                data = msg.get("data")
                if msg["event"] == "DEVICE_DELETED" and data:
                    with self.cond:
                        self.deleting.discard(data.get("device"))
                        self.cond.notify_all()
                note("qmp event: %s%s" % (msg["event"],
                                          " " + json.dumps(data) if data else ""))
                continue
            with self.cond:
                self.replies.append(msg)
                self.cond.notify_all()
        with self.cond:
            self.dead = True
            self.cond.notify_all()

    def _wait_reply(self, secs, greeting=False):
        end = time.monotonic() + secs
        with self.cond:
            while True:
                for i, m in enumerate(self.replies):
                    if greeting == ("QMP" in m):
                        return self.replies.pop(i)
                left = end - time.monotonic()
                if self.dead or left <= 0:
                    return None
                self.cond.wait(left)

    def command(self, name, args=None, secs=60):
        """Run one command; its reply, or {"error": ...} on no reply."""
        with self.lock:
            if self.sock is None or self.dead:
                return {"error": {"desc": "no QMP connection"}}
            msg = {"execute": name}
            if args:
                msg["arguments"] = args
            try:
                self.sock.sendall(json.dumps(msg).encode() + b"\n")
            except OSError as e:
                return {"error": {"desc": str(e)}}
            reply = self._wait_reply(secs)
            return reply if reply is not None else {"error": {"desc": "no reply"}}

    def wait_deleted(self, dev_id, secs):
        """Wait until a pending device_del of dev_id finished; False on
        timeout."""
        end = time.monotonic() + secs
        with self.cond:
            while dev_id in self.deleting:
                left = end - time.monotonic()
                if self.dead or left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def hmp(self, cmdline):
        r = self.command("human-monitor-command", {"command-line": cmdline})
        return r.get("return", "error: %s" % r.get("error"))


def parse_props(text):
    props = {}
    if not text:
        return props
    for kv in text.split(","):
        if not PROP.match(kv):
            raise ValueError("bad property %r" % kv)
        k, v = kv.split("=", 1)
        props[k] = v
    return props


def result(r):
    if "error" in r:
        return "error: %s" % r["error"].get("desc", r["error"])
    return "ok"


def run_request(qmp, seq, cmd, argtext):
    try:
        props = parse_props(argtext)
    except ValueError as e:
        note("host: request %s refused: %s" % (seq, e))
        return
    what = "request %s: %s %s" % (seq, cmd, argtext)
    if cmd == "device_add":
        if "driver" not in props or "id" not in props:
            note("host: %s refused: device_add needs driver= and id=" % what)
            return
        if not qmp.wait_deleted(props["id"], 60):
            note("host: %s: %s is still being deleted after 60 s" % (what, props["id"]))
        note("host: %s -> %s" % (what, result(qmp.command("device_add", props))))
    elif cmd == "device_del":
        if list(props) != ["id"]:
            note("host: %s refused: device_del takes id= only" % what)
            return
        with qmp.cond:
            qmp.deleting.add(props["id"])
        r = qmp.command("device_del", props)
        if "error" in r:
            with qmp.cond:
                qmp.deleting.discard(props["id"])
        note("host: %s -> %s" % (what, result(r)))
    elif cmd == "wakeup":
        try:
            delay = float(props.get("delay", "0"))
        except ValueError:
            note("host: %s refused: delay= wants seconds" % what)
            return
        if not 0 <= delay <= 600:
            note("host: %s refused: delay out of range" % what)
            return

        def later():
            time.sleep(delay)
            note("host: %s -> %s" % (what, result(qmp.command("system_wakeup"))))

        note("host: %s: system_wakeup in %g s" % (what, delay))
        threading.Thread(target=later, daemon=True).start()
    else:
        note("host: %s refused: unknown command" % what)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qmp", required=True, help="QEMU's QMP unix socket")
    ap.add_argument("--deadline", type=float, required=True,
                    help="seconds until the run is stopped")
    ap.add_argument("--timeout-file", required=True,
                    help="written when the deadline stopped the run")
    opts = ap.parse_args()

    qmp = Qmp(opts.qmp)
    connected = threading.Event()

    def connector():
        if qmp.connect(30):
            connected.set()
        else:
            note("host: cannot connect to QMP at %s" % opts.qmp)

    threading.Thread(target=connector, daemon=True).start()

    def deadline():
        time.sleep(opts.deadline)
        with open(opts.timeout_file, "w") as f:
            f.write("%g\n" % opts.deadline)
        note("host: time limit (%g s) reached; where the vCPUs are:" % opts.deadline)
        if connected.wait(5):
            # SysRq-L through the emulated keyboard: a kernel whose
            # keyboard driver is up prints every CPU's backtrace.
            note("host: sendkey alt-sysrq-l: %s" % (qmp.hmp("sendkey alt-sysrq-l") or "ok"))
            time.sleep(5)
            # "info lapic" (the monitor's CPU, CPU 0): a hang with the CPU
            # idle and interrupts on shows there whether a vector is left
            # pending (IRR) or in service (ISR), and which IPI CPU 0 sent
            # last (ICR).
            for c in ("info cpus", "info registers -a", "info lapic"):
                for line in qmp.hmp(c).splitlines():
                    note("  " + line)
            qmp.command("quit", secs=10)
        else:
            note("host: no QMP connection: cannot show the vCPUs")

    threading.Thread(target=deadline, daemon=True).start()

    # Requests run in order on a thread of their own: the console keeps
    # flowing while one waits (a blocked console would stall the guest).
    requests = queue.Queue()

    def worker():
        while True:
            seq, cmd, argtext = requests.get()
            if not connected.wait(30):
                note("host: request %s dropped: no QMP connection" % seq)
                continue
            run_request(qmp, seq, cmd, argtext)

    threading.Thread(target=worker, daemon=True).start()

    done = set()
    inp = sys.stdin.buffer
    while True:
        raw = inp.readline()
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip("\n")
        emit(line)
        m = REQUEST.search(line)
        if not m or m.group(1) in done:
            continue
        done.add(m.group(1))
        requests.put((m.group(1), m.group(2), m.group(3)))
    # QEMU closed the console: it is gone or going.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
