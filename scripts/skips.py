#!/usr/bin/env python3
"""Lists the tests a ctest run skipped, each with its reason, from the run's JUnit file.

    scripts/skips.py BUILD_DIR JUNIT_FILE

In CI (CI=true) or with COMMSIM_NO_SKIP=1 a skipped test fails (status 1) unless it carries the
label `gpu`: only a missing GPU excuses a skip there, since a suite that skips silently is how a
build without SimGrid once passed as green (issue 11).
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

ALLOWED_LABEL = "gpu"


def labels_by_test(build_dir):
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build_dir, check=True,
                         capture_output=True, text=True).stdout
    labels = {}
    for test in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in test.get("properties", [])}
        labels[test["name"]] = props.get("LABELS", [])
    return labels


def reason(output):
    """The test's own words: GoogleTest's message after "Skipped", else the line saying SKIP."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.endswith(": Skipped"):
            said = []
            for nxt in lines[i + 1:]:
                if nxt.startswith("[  SKIPPED ]"):
                    break
                said.append(nxt.strip())
            return " ".join(s for s in said if s) or "(no reason given)"
    said = [line.strip() for line in lines if "SKIP" in line]
    return said[-1] if said else "(no reason given)"


def main():
    if len(sys.argv) != 3:
        print("usage: scripts/skips.py BUILD_DIR JUNIT_FILE", file=sys.stderr)
        return 2
    build_dir, junit = sys.argv[1:]
    strict = os.environ.get("CI") == "true" or os.environ.get("COMMSIM_NO_SKIP") == "1"
    labels = labels_by_test(build_dir)
    skipped = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            name = case.get("name")
            skipped.append((name, labels.get(name, []), reason(case.findtext("system-out") or "")))
    if not skipped:
        print("skipped tests: none")
        return 0
    print(f"skipped tests ({len(skipped)}):")
    # Each one by name; those a missing GPU excuses grouped by reason, since there are hundreds.
    excused = {}
    for name, labs, why in skipped:
        if ALLOWED_LABEL in labs:
            excused.setdefault(why, []).append(name)
        else:
            print(f"  {name} [{','.join(labs) or 'no label'}]: {why}")
    for why, names in excused.items():
        names = [n.split("  # ")[0] for n in names]  # a parameterised case's name ends in its parameter
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        print(f"  {len(names)} [{ALLOWED_LABEL}] tests ({shown}): {why}")
    unexcused = [name for name, labs, _ in skipped if ALLOWED_LABEL not in labs]
    if strict and unexcused:
        print(f"error: {len(unexcused)} skipped test(s) without the label '{ALLOWED_LABEL}', which only "
              f"a missing GPU excuses here (CI, or COMMSIM_NO_SKIP=1): {' '.join(unexcused)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
