// Runs the edge/wire test vectors under real MicroPython (the WebAssembly build).
//
// What it does: loads @micropython/micropython-webassembly-pyscript, writes
// edge/wire/*.py into the wasm file system as the package edge.wire under /lib
// (with a minimal edge/__init__.py of its own: the repo's one is CPython-only
// friendly), writes tests/wire/vectors.py (DHCPv4) and tests/wire/vectors6.py
// (DHCPv6) into /lib, runs each module's run() and prints one line per
// failure, one count line per module, and then exactly
//   micropython: N passed, M failed
// (N and M summed over both modules).
// Exit status: 0 only when at least one vector ran and none failed.
//
// Run from the repository root: node tests/micropython/run.mjs
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const wireDir = join(repo, "edge", "wire");

const lines = [];
let mp;
try {
  mp = await loadMicroPython({ heapsize: 16 * 1024 * 1024, stdout: (l) => lines.push(l) });
} catch (e) {
  console.log("micropython: could not start the WebAssembly build: " + e.message);
  console.log("micropython: 0 passed, 1 failed");
  process.exit(2);
}

mp.FS.mkdir("/lib");
mp.FS.mkdir("/lib/edge");
mp.FS.mkdir("/lib/edge/wire");
mp.FS.writeFile("/lib/edge/__init__.py", '"""edge (MicroPython test image): only edge.wire is present."""\n');
for (const name of readdirSync(wireDir).sort()) {
  if (name.endsWith(".py")) {
    mp.FS.writeFile("/lib/edge/wire/" + name, readFileSync(join(wireDir, name), "utf8"));
  }
}
const modules = ["vectors", "vectors6"];
for (const m of modules) {
  mp.FS.writeFile("/lib/" + m + ".py", readFileSync(join(repo, "tests", "wire", m + ".py"), "utf8"));
}

let result = null;
try {
  mp.runPython(`
import sys
sys.path.append("/lib")
def _report(name, ok, message):
    if not ok:
        print("FAIL " + name + ": " + message)
_tp = _tf = 0
for _name in ${JSON.stringify(modules)}:
    _mod = __import__(_name)
    _p, _f, _msgs = _mod.run(_report)
    print("micropython: %s %d passed, %d failed" % (_name, _p, _f))
    _tp += _p
    _tf += _f
print("@@RESULT %d %d" % (_tp, _tf))
`);
} catch (e) {
  // Only the Python message: the wasm glue's stack trace is minified source.
  lines.push("ERROR " + (e.type || "") + ": " + String(e.message).split("\n").slice(-12).join("\n"));
}

for (const l of lines) {
  const m = /^@@RESULT (\d+) (\d+)$/.exec(l);
  if (m) {
    result = { passed: Number(m[1]), failed: Number(m[2]) };
  } else {
    console.log(l);
  }
}
if (result === null) {
  console.log("micropython: 0 passed, 1 failed");
  process.exit(1);
}
console.log(`micropython: ${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed === 0 && result.passed > 0 ? 0 : 1);
