#!/usr/bin/env python3
"""The campaign recipes of ci/campaign agree with themselves, and each one's own shard and merge
commands, read from the recipe, run a clean campaign: the time budget becomes --rounds 2N and the
rounds small, the shards run one after another with the index the recipe hands them (its
environment variable, or the matrix value substituted), and the recipe's merge must see every
shard and every round once. local.sh runs as it is.

usage: recipes_test.py STRESS
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

try:
    import yaml
except ImportError:
    sys.exit("recipes_test.py: needs PyYAML (Debian's python3-yaml, which ci/setup.sh installs)")

if len(sys.argv) != 2:
    sys.exit("usage: recipes_test.py STRESS")
STRESS = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAMPAIGN = os.path.join(ROOT, "ci", "campaign")
SHARD_VARIABLES = ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "POOLCHECK_SHARD_INDEX")
SMALL = {"--threads": "8", "--ops": "64"}
# What a workflow's ${{ }} expressions see besides matrix and env: a scheduled run has no inputs.
GITHUB_CONTEXT = {"github.run_id": "987654321", "inputs.seed": ""}
failures = []


class RecipeError(Exception):
    """A recipe does not have the shape the checks read it by."""


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + detail[-3000:].replace("\n", "\n     "))
    return cond


def read(name):
    with open(os.path.join(CAMPAIGN, name)) as f:
        return f.read()


# --- reading commands out of shell text --------------------------------------------------------

def expand_shell(token, env):
    """$X, ${X} and ${X:-default} from env; an unset variable without a default is an error."""
    def one(m):
        name = m.group(1) or m.group(3)
        if name in env:
            return env[name]
        if m.group(2) is not None:
            return m.group(2)
        raise RecipeError(f"${name} is not set where the recipe uses it ({token})")
    return re.sub(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))", one, token)


def expand_k8s(token, env):
    """Kubernetes' $(X) from the container's environment (unset: Kubernetes would pass it literally)."""
    def one(m):
        if m.group(1) not in env:
            raise RecipeError(f"$({m.group(1)}) is not in the container's environment ({token})")
        return env[m.group(1)]
    return re.sub(r"\$\((\w+)\)", one, token)


def commands(text):
    """The token lists of a shell text's lines, backslash continuations joined; a line that does not
    tokenize (prose in a comment) is skipped."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        if tokens:
            out.append(tokens)
    return out


# Where a word is the program a command runs (so `chmod +x .../stress` runs no stress).
COMMAND_STARTS = ("exec", "srun", "time", "&&", "||", ";", "|", "&")


def invocations(tokens):
    """Every stress command in a token list, as its argument list; the script of `sh -c` and of
    `sbatch --wrap` is opened."""
    found = []
    for i, t in enumerate(tokens):
        if i > 0 and tokens[i - 1] in ("-c", "--wrap"):
            for inner in commands(t):
                found += invocations(inner)
        elif os.path.basename(t) == "stress" and (i == 0 or tokens[i - 1] in COMMAND_STARTS):
            args = []
            for a in tokens[i + 1:]:
                if a in ("&&", "||", ";", "|", "&") or a.startswith(">"):
                    break
                args.append(a)
            found.append(args)
            break
    return found


def only(items, what):
    if len(items) != 1:
        raise RecipeError(f"expected one {what}, found {len(items)}: {items}")
    return items[0]


def option(args, name):
    values = [args[i + 1] for i, a in enumerate(args[:-1]) if a == name]
    return only(values, f"{name} option in {shlex.join(args)}")


def comment_text(text):
    return "\n".join(l.strip()[1:] for l in text.splitlines()
                     if l.strip().startswith("#") and not l.startswith(("#!", "#SBATCH")))


def merge_in_comments(text):
    """The merge command a recipe's comment gives, and the comment line it is on."""
    found = []
    for tokens in commands(comment_text(text)):
        found += [(args, tokens) for args in invocations(tokens) if args[:1] == ["merge"]]
    return only(found, "`stress merge` command in the comments")


# --- running a campaign ------------------------------------------------------------------------

def small(args, rounds):
    """The recipe's arguments with its time budget replaced by `rounds` rounds, and small rounds."""
    budget = [i for i, a in enumerate(args) if a == "--duration" or a.startswith("--duration=")]
    if len(budget) != 1:
        raise RecipeError(f"expected one --duration (the time budget) in {shlex.join(args)}")
    i = budget[0]
    out = args[:i] + ["--rounds", str(rounds)] + args[i + (1 if "=" in args[i] else 2):]
    for name, value in SMALL.items():
        if name in out:
            out[out.index(name) + 1] = value
        else:
            out += [name, value]
    return out if "--quiet" in out else out + ["--quiet"]


def shard_env(variables):
    env = {k: v for k, v in os.environ.items() if k not in SHARD_VARIABLES}
    env.update(variables)
    return env


def run(cmd, cwd, env=None, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return -999, "", f"timed out after {timeout} s"
    return p.returncode, p.stdout, p.stderr


def shown(path, cwd):
    """A path as the recipe names it, not where the test put it."""
    return os.path.relpath(path, cwd) if os.path.isabs(path) else path


def check_merged(name, cwd, code, out, err, json_path, junit_path, n, rounds):
    """The merge's outcome: clean, n shards, every round 0..rounds-1 once from shard round % n."""
    check(code == 0, f"{name}: merge exits 0", f"exit {code}\n{out}\n{err}")
    try:
        with open(os.path.join(cwd, json_path)) as f:
            merged = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"{name}: merge wrote its JSON report {json_path}", str(e))
        return
    check(merged.get("format") == "poolcheck-merged-report/1" and merged.get("result") == "CLEAN"
          and merged.get("exit_code") == 0 and merged.get("failures") == [],
          f"{name}: the merged report is a clean poolcheck-merged-report/1",
          json.dumps({k: merged.get(k) for k in ("format", "result", "exit_code", "failures")}))
    check(merged.get("shards") == n, f"{name}: the merged report has {n} shards", f"shards: {merged.get('shards')}")
    seen = [(r.get("round"), r.get("shard")) for r in merged.get("rounds", [])]
    check(sorted(r for r, _ in seen) == list(range(rounds)),
          f"{name}: the merged rounds are 0..{rounds - 1}, each once", f"rounds: {sorted(r for r, _ in seen)}")
    check(all(isinstance(r, int) and s == r % n for r, s in seen), f"{name}: round r came from shard r mod {n}",
          f"(round, shard): {seen}")
    try:
        root = ET.parse(os.path.join(cwd, junit_path)).getroot()
        ok = root.tag == "testsuites" and len(root.findall(".//testcase")) >= n and not root.findall(".//failure")
        detail = ET.tostring(root, encoding="unicode")
    except (OSError, ET.ParseError) as e:
        ok, detail = False, str(e)
    check(ok, f"{name}: {shown(junit_path, cwd)} parses, with a test case per shard and no failure", detail)


def run_campaign(name, cwd, shards, merge_args, n):
    """shards: per index, (the recipe's arguments, expanded, paths in cwd; the environment the
    recipe gives it). merge_args: the recipe's merge arguments, paths in cwd."""
    rounds = 2 * n
    codes, indexes = [], []
    for i, (args, variables) in enumerate(shards):
        args = small(args, rounds)
        report = option(args, "--json")
        os.makedirs(os.path.join(cwd, os.path.dirname(report)), exist_ok=True)
        code, out, err = run([STRESS] + args, cwd, shard_env(variables))
        codes.append(code)
        if code != 0:
            print(f"     shard {i}: {shlex.join(['stress'] + args)} exited {code}\n{out}\n{err}")
            continue
        try:
            with open(os.path.join(cwd, report)) as f:
                got = json.load(f).get("shard")
        except (OSError, ValueError) as e:
            got = str(e)
        indexes.append(got)
    check(codes == [0] * n, f"{name}: all {n} shards run clean with {rounds} rounds", f"exit codes: {codes}")
    check(indexes == [{"index": i, "count": n} for i in range(n)],
          f"{name}: the report of the shard given index i says shard i/{n}", f"shards: {indexes}")

    expanded = []
    for a in merge_args:
        if any(c in a for c in "*?["):
            matched = sorted(glob.glob(a, root_dir=cwd))
            check(len(matched) == n, f"{name}: the merge's {shown(a, cwd)} matches the {n} shard reports",
                  f"matched: {matched}")
            expanded += matched
        else:
            expanded.append(a)
    json_path, junit_path = option(merge_args, "--json"), option(merge_args, "--junit")
    code, out, err = run([STRESS] + expanded, cwd)
    check_merged(name, cwd, code, out, err, json_path, junit_path, n, rounds)


def attempt(name, fn):
    """Runs one recipe's checks; a recipe that cannot be read as expected is one failed check."""
    try:
        fn()
    except (RecipeError, AttributeError, IndexError, KeyError, TypeError, ValueError, yaml.YAMLError) as e:
        check(False, f"{name}: the recipe reads as expected", f"{type(e).__name__}: {e}")


# --- the recipes ---------------------------------------------------------------------------------

def github_substitute(text, context):
    """${{ a.b }} and ${{ a.b || c.d }}: the first non-empty value; an unknown name is an error."""
    def one(m):
        for part in m.group(1).split("||"):
            name = part.strip()
            if name not in context:
                raise RecipeError(f"unknown expression ${{{{ {name} }}}} (the test knows {sorted(context)})")
            if context[name] != "":
                return context[name]
        return ""
    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def steps_using(job, action):
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action)]


def github(tmp):
    name = "github-actions.yml"
    wf = yaml.safe_load(read(name))
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    check(isinstance(triggers, dict) and "workflow_dispatch" in triggers
          and any("cron" in s for s in (triggers.get("schedule") or [])),
          f"{name}: runs on workflow_dispatch and on a schedule", f"on: {triggers}")
    context = dict(GITHUB_CONTEXT)
    for k, v in (wf.get("env") or {}).items():
        context[f"env.{k}"] = github_substitute(str(v), context)
    check("env.CAMPAIGN_SEED" in context and context["env.CAMPAIGN_SEED"] != "",
          f"{name}: CAMPAIGN_SEED is set for the whole workflow", f"env: {wf.get('env')}")

    jobs = wf["jobs"]
    shard_job, merge_job = jobs["shard"], jobs["merge"]
    matrix = shard_job["strategy"]["matrix"]["shard"]
    n = len(matrix)
    check(n > 1 and matrix == list(range(n)), f"{name}: the shard matrix is 0..{n - 1}", f"matrix: {matrix}")
    check(shard_job["strategy"].get("fail-fast") is False,
          f"{name}: fail-fast is off (a failing shard must not cancel the others' reports)")
    scripts = [s["run"] for s in shard_job["steps"] if "run" in s]
    raw = only([s for s in scripts if re.search(r"\bstress\b", s)], "shard step running stress")
    check(re.search(r"--shard\s+\$\{\{\s*matrix\.shard\s*\}\}/" + str(n) + r"(\s|$)", raw) is not None,
          f"{name}: the shard command uses --shard ${{{{ matrix.shard }}}}/{n}", raw)

    shards, seeds, unsaved = [], [], []
    for i in range(n):
        ctx = dict(context, **{"matrix.shard": str(i)})
        env = {k[4:]: v for k, v in ctx.items() if k.startswith("env.")}
        args = only([a for tokens in commands(github_substitute(raw, ctx)) for a in invocations(tokens)],
                    "stress command in the shard step")
        args = [expand_shell(a, env) for a in args]
        seeds.append(option(args, "--seed"))
        uploads = [s for s in steps_using(shard_job, "actions/upload-artifact@v4") if "always()" in str(s.get("if", ""))
                   and github_substitute(str(s.get("with", {}).get("path", "")), ctx) == option(args, "--json")]
        if len(uploads) != 1:
            unsaved.append(i)
        shards.append((args, {}))
    check(seeds == [context["env.CAMPAIGN_SEED"]] * n, f"{name}: every shard runs with CAMPAIGN_SEED as --seed",
          f"seeds: {seeds}")
    check(not unsaved, f"{name}: every shard uploads its --json report, also when it fails", f"not: {unsaved}")

    needs = merge_job.get("needs")
    needs = [needs] if isinstance(needs, str) else needs or []
    check("shard" in needs and "always()" in str(merge_job.get("if", "")),
          f"{name}: the merge job needs the shard job and runs even after a failed shard",
          f"needs: {needs}, if: {merge_job.get('if')}")
    merge_scripts = [github_substitute(s["run"], context) for s in merge_job["steps"] if "run" in s]
    merge = only([a for s in merge_scripts for tokens in commands(s) for a in invocations(tokens)
                  if a[:1] == ["merge"]], "stress merge command in the merge job")
    junit = option(merge, "--junit")
    uploaded = [s for s in steps_using(merge_job, "actions/upload-artifact@v4")
                if junit in str(s.get("with", {}).get("path", "")).split() and "always()" in str(s.get("if", ""))]
    check(len(uploaded) == 1, f"{name}: the merge job uploads {junit} even when the merge fails")
    run_campaign(name, os.path.join(tmp, "github"), shards, merge, n)


def kubernetes(tmp):
    name = "k8s-indexed-job.yaml"
    text = read(name)
    job = only([d for d in yaml.safe_load_all(text) if d and d.get("kind") == "Job"], "Job")
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    container = only([c for c in pod["containers"] if invocations((c.get("command") or []) + (c.get("args") or []))],
                     "container running stress")
    raw = only(invocations((container.get("command") or []) + (container.get("args") or [])), "stress command")
    m = re.fullmatch(r"auto/([1-9][0-9]*)", option(raw, "--shard"))
    if not check(m is not None, f"{name}: the container runs stress --shard auto/N", shlex.join(raw)):
        return
    n = int(m.group(1))
    check(job.get("apiVersion") == "batch/v1" and spec.get("completionMode") == "Indexed"
          and spec.get("completions") == n, f"{name}: an Indexed batch/v1 Job of {n} completions",
          f"apiVersion {job.get('apiVersion')}, completionMode {spec.get('completionMode')}, "
          f"completions {spec.get('completions')}")

    # The reports must land on a volume that outlives the pods (not an emptyDir), or merge finds none.
    report = option(raw, "--json")
    volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" not in v}
    mounts = [v["mountPath"].rstrip("/") for v in container.get("volumeMounts", []) if v["name"] in volumes]
    mount = only([p for p in mounts if report.startswith(p + "/")], f"mounted volume holding {report}")
    cwd = os.path.join(tmp, "k8s")
    local = os.path.join(cwd, os.path.basename(mount))
    remap = lambda a: local + a[len(mount):] if a == mount or a.startswith(mount + "/") else a  # noqa: E731
    env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}

    shards = []
    for i in range(n):
        variables = {"JOB_COMPLETION_INDEX": str(i)}
        shards.append(([remap(expand_k8s(a, dict(env, **variables))) for a in raw], variables))
    merge, _ = merge_in_comments(text)
    check("--junit" in merge and "--json" in merge, f"{name}: the merge command writes --json and --junit",
          shlex.join(merge))
    run_campaign(name, cwd, shards, [remap(a) for a in merge], n)


def slurm(tmp):
    name = "slurm-array.sh"
    text = read(name)
    code_lines = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    raw = only([a for tokens in commands(code_lines) for a in invocations(tokens)], "stress command in the script")
    m = re.fullmatch(r"auto/([1-9][0-9]*)", option(raw, "--shard"))
    if not check(m is not None, f"{name}: the script runs stress --shard auto/N", shlex.join(raw)):
        return
    n = int(m.group(1))
    arrays = re.findall(r"^#SBATCH\s+--array=(\S+)\s*$", text, re.M)
    check(arrays == [f"0-{n - 1}"], f"{name}: #SBATCH --array=0-{n - 1} matches --shard auto/{n}", f"arrays: {arrays}")
    merge, line = merge_in_comments(text)
    check(line[:1] == ["sbatch"] and any(t.startswith("--dependency=afterany:") for t in line),
          f"{name}: the merge is an sbatch job that waits with afterany", shlex.join(line))
    check("--junit" in merge and "--json" in merge, f"{name}: the merge command writes --json and --junit",
          shlex.join(merge))

    shards = []
    for i in range(n):
        variables = {"SLURM_ARRAY_TASK_ID": str(i)}
        env = dict(variables)
        for tokens in commands(code_lines):  # the script's own assignments, in order
            if len(tokens) == 1 and re.fullmatch(r"\w+=.*", tokens[0]):
                k, v = tokens[0].split("=", 1)
                env[k] = expand_shell(v, env)
        shards.append(([expand_shell(a, env) for a in raw], variables))
    run_campaign(name, os.path.join(tmp, "slurm"), shards, merge, n)


def local(tmp):
    script = os.path.join(CAMPAIGN, "local.sh")
    code, out, err = run([script], ROOT)
    check(code == 2 and "usage:" in err and out == "", "local.sh: without N, a usage error (exit 2)",
          f"exit {code}\n{out}\n{err}")
    outdir = os.path.join(tmp, "local")
    env = dict(shard_env({}), STRESS=STRESS, OUT=outdir)
    code, out, err = run([script, "3", "--rounds", "6", "--threads", "8", "--ops", "64", "--quiet"], ROOT, env)
    check_merged("local.sh", outdir, code, out, err, "merged.json", "merged.xml", 3, 6)
    # Shards that cannot start write no report: local.sh says so and exits with merge's 2.
    code, out, err = run([script, "2", "--threads", "0"], ROOT, env)
    check(code == 2 and "wrote no report" in err and "--threads" in err,
          "local.sh: shards without reports: their logs shown, exit 2 (merge's code)",
          f"exit {code}\n{out}\n{err}")


with tempfile.TemporaryDirectory() as tmp:
    for name, recipe in (("github-actions.yml", github), ("k8s-indexed-job.yaml", kubernetes),
                         ("slurm-array.sh", slurm), ("local.sh", local)):
        attempt(name, lambda: recipe(tmp))

print(f"campaign recipes: {len(failures)} checks failed")
sys.exit(1 if failures else 0)
