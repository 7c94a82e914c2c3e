#!/usr/bin/env python3
"""The ClusterFuzzLite configuration (.clusterfuzzlite/ and .github/workflows/cflite_pr.yml) is
complete and agrees with the build:

- project.yaml is C++, and its base_os_version matches the Dockerfile's base-builder tag;
- the Dockerfile builds on gcr.io/oss-fuzz-base/base-builder, installs what the fuzzers build with,
  copies the repository to $SRC/poolcheck, works there and copies build.sh to $SRC/;
- the workflow runs on pull requests: build_fuzzers then run_fuzzers (google/clusterfuzzlite v1),
  both with the address sanitizer, code-change mode, and a checkout first when project.yaml names a
  base OS (ClusterFuzzLite reads it from the checked-out tree);
- build.sh passes `bash -n` and enables POOLCHECK_BUILD_FUZZERS; run as `compile` runs it, with the
  base-builder's environment and a stand-in cmake that records its arguments and "builds" each
  target it is asked for, it configures the fuzzers with POOLCHECK_SANITIZER=address and without
  the environment's sanitizer flags, out of the source tree, and puts every fuzz target that
  tests/fuzz/CMakeLists.txt defines into $OUT, with each corpus of tests/fuzz/corpus/ as
  <target>_seed_corpus.zip; it refuses a sanitizer or engine it cannot build.

The image itself is not built here (that needs docker and the network): see ClusterFuzzLite's
`python infra/helper.py build_fuzzers --external` for that.

usage: cflite_test.py   (ctest clusterfuzzlite_config)
"""
import configparser
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

try:
    import yaml
except ImportError:
    sys.exit("cflite_test.py: needs PyYAML (Debian's python3-yaml, which ci/setup.sh installs)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFLITE = os.path.join(ROOT, ".clusterfuzzlite")
WORKFLOW = os.path.join(ROOT, ".github", "workflows", "cflite_pr.yml")
FUZZ_CMAKE = os.path.join(ROOT, "tests", "fuzz", "CMakeLists.txt")
CORPORA = os.path.join(ROOT, "tests", "fuzz", "corpus")
BASE_BUILDER = "gcr.io/oss-fuzz-base/base-builder"
ACTIONS = "google/clusterfuzzlite/actions/"
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[-3000:].replace("\n", "\n     "))
    return cond


def read(path):
    with open(path) as f:
        return f.read()


# --- tests/fuzz/CMakeLists.txt: the fuzz targets -----------------------------------------------

def fuzz_targets():
    """The names of add_executable(fuzz_...) in tests/fuzz/CMakeLists.txt, comments left out."""
    text = "\n".join(line.split("#", 1)[0] for line in read(FUZZ_CMAKE).splitlines())
    return sorted(set(re.findall(r"add_executable\s*\(\s*(fuzz_\w+)", text)))


# --- project.yaml ------------------------------------------------------------------------------

def check_project():
    project = yaml.safe_load(read(os.path.join(CFLITE, "project.yaml"))) or {}
    check(isinstance(project, dict) and project.get("language") == "c++",
          "project.yaml: language is c++", f"language: {project.get('language')!r}")
    return project


# --- Dockerfile --------------------------------------------------------------------------------

def dockerfile_instructions(text):
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments left out."""
    out, pending = [], ""
    for line in text.splitlines():
        if not pending and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def check_dockerfile(project):
    instructions = dockerfile_instructions(read(os.path.join(CFLITE, "Dockerfile")))
    froms = [args.split()[0] for word, args in instructions if word == "FROM" and args]
    image = froms[0] if froms else ""
    name, _, tag = image.partition(":")
    check(len(froms) == 1 and name == BASE_BUILDER,
          f"Dockerfile: FROM {BASE_BUILDER} (ClusterFuzzLite's compilers, flags and `compile`)",
          f"FROM lines: {froms}")
    # ClusterFuzzLite picks its build and runner images by project.yaml's base_os_version: the
    # binaries must be built on the OS they will run on.
    os_version = str(project.get("base_os_version") or "")
    check((tag == os_version) if os_version else tag in ("", "v1", "latest"),
          "Dockerfile: the base-builder's tag matches project.yaml's base_os_version",
          f"tag {tag!r}, base_os_version {os_version!r}")

    runs = " ".join(args for word, args in instructions if word == "RUN")
    for package in ("ninja-build", "libcli11-dev", "nlohmann-json3-dev"):
        check(re.search(r"apt-get\b[^;&|]*\binstall\b[^;&|]*\s" + re.escape(package) + r"(\s|$)", runs)
              is not None, f"Dockerfile: apt-get installs {package}", runs)

    def path(p):
        p = p.replace("${SRC}", "$SRC")
        return p.rstrip("/") if p not in ("/", ".") else p

    # COPY [--flags] SOURCE... DEST, paths with ${SRC} as $SRC and no trailing slash.
    copies = [[path(p) for p in args.split() if not p.startswith("--")]
              for word, args in instructions if word == "COPY"]
    workdirs = [path(args) for word, args in instructions if word == "WORKDIR"]
    check([".", "$SRC/poolcheck"] in copies,
          "Dockerfile: copies the repository (the build context) to $SRC/poolcheck", copies)
    check(bool(workdirs) and workdirs[-1] == "$SRC/poolcheck", "Dockerfile: WORKDIR $SRC/poolcheck", workdirs)
    check([".clusterfuzzlite/build.sh", "$SRC"] in copies or [".clusterfuzzlite/build.sh", "$SRC/build.sh"] in copies,
          "Dockerfile: copies .clusterfuzzlite/build.sh to $SRC/ (where `compile` runs it)", copies)


# --- the workflow ------------------------------------------------------------------------------

def check_workflow(project):
    workflow = yaml.safe_load(read(WORKFLOW)) or {}
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = workflow.get("on", workflow.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    check(triggers is not None and "pull_request" in triggers,
          "cflite_pr.yml: runs on pull_request", f"on: {triggers!r}")

    jobs = workflow.get("jobs") or {}
    steps_of = {job: (spec or {}).get("steps") or [] for job, spec in jobs.items()}
    build = run = None
    for job, steps in steps_of.items():
        uses = [str(step.get("uses", "")) for step in steps]
        if ACTIONS + "build_fuzzers@v1" in uses and ACTIONS + "run_fuzzers@v1" in uses:
            build = (job, uses.index(ACTIONS + "build_fuzzers@v1"))
            run = (job, uses.index(ACTIONS + "run_fuzzers@v1"))
            break
    if not check(build is not None and build[1] < run[1],
                 f"cflite_pr.yml: one job uses {ACTIONS}build_fuzzers@v1, then run_fuzzers@v1",
                 json.dumps(steps_of, default=str)[:2000]):
        return
    steps = steps_of[build[0]]
    build_with = steps[build[1]].get("with") or {}
    run_with = steps[run[1]].get("with") or {}
    check(build_with.get("sanitizer") == "address" and run_with.get("sanitizer") == "address",
          "cflite_pr.yml: both steps use the address sanitizer (build.sh builds no other)",
          f"build: {build_with.get('sanitizer')!r}, run: {run_with.get('sanitizer')!r}")
    check(build_with.get("language", "c++") == project.get("language"),
          "cflite_pr.yml: build_fuzzers' language is project.yaml's", build_with.get("language"))
    check(run_with.get("mode") == "code-change", "cflite_pr.yml: run_fuzzers in code-change mode",
          run_with.get("mode"))
    seconds = run_with.get("fuzz-seconds")
    check(isinstance(seconds, int) and 0 < seconds <= 3600,
          "cflite_pr.yml: run_fuzzers has a fuzz-seconds budget (0 < s <= 3600)", seconds)
    if project.get("base_os_version"):
        checkout = [i for i, step in enumerate(steps) if str(step.get("uses", "")).startswith("actions/checkout@")]
        check(bool(checkout) and checkout[0] < build[1],
              "cflite_pr.yml: checks the tree out before build_fuzzers (project.yaml's base_os_version "
              "is read from $GITHUB_WORKSPACE)", [step.get("uses") or step.get("name") for step in steps])


# --- build.sh ----------------------------------------------------------------------------------

FAKE_CMAKE = r'''#!/usr/bin/env python3
"""Stand-in cmake: records its arguments; `--build DIR --target T...` makes DIR/tests/fuzz/T."""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["CFLITE_TEST_CMAKE_LOG"], "a") as f:
    f.write(json.dumps(args) + "\n")
if args[:1] == ["--build"]:
    targets, taking = [], False
    for a in args[2:]:
        if a in ("--target", "-t"):
            taking = True
        elif a.startswith("-"):
            taking = False
        elif taking:
            targets.append(a)
    for t in targets:
        path = os.path.join(args[1], "tests", "fuzz", t)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n")
'''

# Only where the machine has no zip: `zip [-q] [-j] ARCHIVE FILE...`, the form build.sh uses.
FAKE_ZIP = r'''#!/usr/bin/env python3
import os, sys, zipfile
flags = [a for a in sys.argv[1:] if a.startswith("-")]
archive, *files = [a for a in sys.argv[1:] if not a.startswith("-")]
with zipfile.ZipFile(archive, "a") as z:
    for f in files:
        z.write(f, os.path.basename(f) if "-j" in flags else f)
'''

# The base-builder's environment for an address build with libFuzzer (its `compile` exports these).
BASE_CFLAGS = ("-O1 -fno-omit-frame-pointer -gline-tables-only -Wno-error=incompatible-function-pointer-types "
               "-Wno-error=int-conversion -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION "
               "-fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link")
BASE_ENV = {
    "CC": "clang", "CXX": "clang++", "CCC": "clang++",
    "CFLAGS": BASE_CFLAGS, "CXXFLAGS": BASE_CFLAGS + " -stdlib=libc++",
    "LIB_FUZZING_ENGINE": "-fsanitize=fuzzer", "FUZZING_ENGINE": "libfuzzer",
    "SANITIZER": "address", "ARCHITECTURE": "x86_64", "FUZZING_LANGUAGE": "c++",
}


def run_build_sh(tmp, **overrides):
    """build.sh as `compile` runs it, in a fresh $SRC/$WORK/$OUT under tmp with the stand-ins on
    PATH. Returns (process, cmake invocations, $OUT, $WORK)."""
    src, work, out, bin_dir = (os.path.join(tmp, d) for d in ("src", "work", "out", "bin"))
    for d in (src, work, out, bin_dir):
        os.makedirs(d)
    os.symlink(ROOT, os.path.join(src, "poolcheck"))
    shutil.copy(os.path.join(CFLITE, "build.sh"), os.path.join(src, "build.sh"))
    fakes = {"cmake": FAKE_CMAKE}
    if shutil.which("zip") is None:
        fakes["zip"] = FAKE_ZIP
    for name, text in fakes.items():
        path = os.path.join(bin_dir, name)
        with open(path, "w") as f:
            f.write(text.replace("#!/usr/bin/env python3", "#!" + sys.executable, 1))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = os.path.join(tmp, "cmake.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLCHECK_")}
    env.update(BASE_ENV)
    env.update(SRC=src, WORK=work, OUT=out, PATH=bin_dir + os.pathsep + env.get("PATH", ""),
               CFLITE_TEST_CMAKE_LOG=log)
    env.update(overrides)
    proc = subprocess.run(["bash", "-eu", os.path.join(src, "build.sh")], cwd=os.path.join(src, "poolcheck"),
                          env=env, capture_output=True, text=True, timeout=40)
    calls = []
    if os.path.exists(log):
        calls = [json.loads(line) for line in read(log).splitlines() if line.strip()]
    return proc, calls, out, work


def definitions(configure):
    """-DNAME=VALUE (or -DNAME:TYPE=VALUE) of a cmake configure command line, as a dict."""
    out, args = {}, list(configure)
    for i, a in enumerate(args):
        if a == "-D" and i + 1 < len(args):
            a = "-D" + args[i + 1]
        if a.startswith("-D") and "=" in a:
            name, value = a[2:].split("=", 1)
            out[name.split(":", 1)[0]] = value
    return out


def option_value(args, *names):
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
        for n in names:
            if n.startswith("-") and len(n) == 2 and a.startswith(n) and len(a) > 2:
                return a[2:]
    return None


def check_build_sh(targets):
    path = os.path.join(CFLITE, "build.sh")
    syntax = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    check(syntax.returncode == 0, "build.sh: bash -n passes", syntax.stderr)
    text = "\n".join(line.split("#", 1)[0] for line in read(path).splitlines()[1:])
    check(re.search(r"-DPOOLCHECK_BUILD_FUZZERS(:BOOL)?=ON\b", text) is not None,
          "build.sh: enables POOLCHECK_BUILD_FUZZERS")

    with tempfile.TemporaryDirectory(prefix="cflite-test-") as tmp:
        proc, calls, out, work = run_build_sh(tmp)
        log = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        if not check(proc.returncode == 0, "build.sh: runs to the end with the base-builder's environment", log):
            return
        configures = [c for c in calls if c[:1] != ["--build"]]
        builds = [c for c in calls if c[:1] == ["--build"]]
        if not check(len(configures) == 1 and len(builds) == 1,
                     "build.sh: configures once and builds once", calls):
            return
        configure, build = configures[0], builds[0]
        defs = definitions(configure)
        check(defs.get("POOLCHECK_BUILD_FUZZERS", "").upper() in ("ON", "TRUE", "1"),
              "build.sh: configures with POOLCHECK_BUILD_FUZZERS=ON", defs)
        check(defs.get("POOLCHECK_SANITIZER") == "address",
              "build.sh: configures with POOLCHECK_SANITIZER=address (CMake adds ASan + UBSan)", defs)
        check(defs.get("POOLCHECK_BUILD_TOOLS", "ON").upper() in ("ON", "TRUE", "1"),
              "build.sh: keeps POOLCHECK_BUILD_TOOLS on (the fuzzers need it)", defs)
        check(defs.get("CMAKE_CXX_COMPILER") == BASE_ENV["CXX"],
              "build.sh: compiles with $CXX", defs.get("CMAKE_CXX_COMPILER"))
        # CMake takes the environment's CXXFLAGS as CMAKE_CXX_FLAGS unless it is given one: the
        # sanitizer flags in them would come twice and make CMake warn.
        cxx_flags = defs.get("CMAKE_CXX_FLAGS")
        check(cxx_flags is not None and "-fsanitize" not in cxx_flags,
              "build.sh: passes CMAKE_CXX_FLAGS without the environment's -fsanitize flags", cxx_flags)
        check(cxx_flags is not None and "-stdlib=libc++" in cxx_flags.split(),
              "build.sh: keeps the rest of $CXXFLAGS (-stdlib=libc++)", cxx_flags)
        check("-fsanitize" not in defs.get("CMAKE_EXE_LINKER_FLAGS", ""),
              "build.sh: no -fsanitize flag in CMAKE_EXE_LINKER_FLAGS", defs.get("CMAKE_EXE_LINKER_FLAGS"))
        binary_dir = option_value(configure, "-B") or ""
        check(os.path.realpath(binary_dir).startswith(os.path.realpath(work) + os.sep),
              "build.sh: builds in $WORK, out of the source tree", configure)
        check(os.path.realpath(option_value(configure, "-S") or "") == os.path.realpath(ROOT),
              "build.sh: configures $SRC/poolcheck", configure)
        asked = set(build[build.index("--target") + 1:]) if "--target" in build else set()
        for target in targets:
            binary = os.path.join(out, target)
            check(target in asked and os.path.isfile(binary) and os.access(binary, os.X_OK),
                  f"build.sh: builds {target} and copies it to $OUT", f"targets built: {sorted(asked)}, "
                  f"$OUT: {sorted(os.listdir(out))}")
            corpus = os.path.join(CORPORA, target[len("fuzz_"):])
            seed = os.path.join(out, f"{target}_seed_corpus.zip")
            if os.path.isdir(corpus) and os.listdir(corpus):
                want = sorted(n for n in os.listdir(corpus) if os.path.isfile(os.path.join(corpus, n)))
                got = []
                if os.path.isfile(seed):
                    with zipfile.ZipFile(seed) as z:
                        got = sorted(os.path.basename(n) for n in z.namelist() if not n.endswith("/"))
                check(got == want, f"build.sh: {target}_seed_corpus.zip holds tests/fuzz/corpus/"
                      f"{target[len('fuzz_'):]}/ ({len(want)} inputs)", f"zip: {got}\ncorpus: {want}")
            options = os.path.join(out, f"{target}.options")
            source = os.path.join(ROOT, "tests", "fuzz", f"{target}.options")
            parser = configparser.ConfigParser()
            try:
                parser.read(source)
                good = parser.has_section("libfuzzer") and len(parser.sections()) == 1
            except configparser.Error:
                good = False
            check(good, f"tests/fuzz/{target}.options is one [libfuzzer] section",
                  read(source) if os.path.exists(source) else "missing")
            check(os.path.isfile(options) and os.path.isfile(source) and read(options) == read(source),
                  f"build.sh: $OUT/{target}.options is tests/fuzz/{target}.options")

    # The guards: another sanitizer or engine is refused before anything is configured.
    for what, overrides in (("SANITIZER=memory", {"SANITIZER": "memory"}),
                            ("a non-libFuzzer engine", {"LIB_FUZZING_ENGINE": "/usr/lib/libFuzzingEngine.a"})):
        with tempfile.TemporaryDirectory(prefix="cflite-test-") as tmp:
            proc, calls, out, _ = run_build_sh(tmp, **overrides)
            check(proc.returncode != 0 and not calls and not os.listdir(out),
                  f"build.sh: refuses {what} before configuring",
                  f"exit {proc.returncode}, cmake calls {calls}\n{proc.stderr}")


def main():
    targets = fuzz_targets()
    check(len(targets) > 0, "tests/fuzz/CMakeLists.txt: add_executable(fuzz_...) targets found: "
          + (", ".join(targets) or "none"))
    project = check_project()
    check_dockerfile(project)
    check_workflow(project)
    check_build_sh(targets)
    if failures:
        print(f"cflite_test.py: {len(failures)} check(s) failed")
        return 1
    print("cflite_test.py: the ClusterFuzzLite configuration is complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
