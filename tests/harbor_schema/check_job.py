#!/usr/bin/python3
"""Checks that a job directory written by `autoswarm bench run` is one Harbor's tools read.

    /usr/bin/python3 tests/harbor_schema/check_job.py JOB_DIR [--attempts N]

Validates the job's config.json and result.json, and every trial's config.json and
result.json, against the JSON Schemas beside this file (written from Harbor's pydantic
models; each schema names the Harbor commit it follows), then checks what a schema cannot
say but Harbor's code does:
  - trial directories are named <task[:32]>__<7 shortuuid characters>, and trial_name is the
    directory's name; result.json's config is the trial's config.json; config.job_id is the
    job's id;
  - the job's stats are what Harbor's JobStats.from_trial_results builds from the trials:
    counts, evals keys `<agent>__<model>__<dataset|adhoc>` (`<agent>__<dataset|adhoc>`
    without a model), n_trials, n_errors, reward_stats, exception_stats, token totals;
  - with --attempts N, every task has N trials.
Prints one line per problem (file: where: what) and exits 1 when there is any; prints
"ok: <n> files" and exits 0 otherwise. Uses Debian's python3-jsonschema (scripts/install-deps).
"""
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
TRIAL_NAME = re.compile(r"^(.{0,32})__[23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz]{7}$")


def load_schema(name):
    with open(os.path.join(HERE, name + ".schema.json")) as f:
        return jsonschema.Draft7Validator(json.load(f))


SCHEMAS = {n: load_schema(n) for n in ("job_config", "job_result", "trial_config", "trial_result")}


class Checker:
    def __init__(self):
        self.problems = []
        self.files = 0

    def problem(self, path, where, what):
        self.problems.append(f"{path}: {where}: {what}")

    def load(self, path, schema):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            self.problem(path, "$", f"cannot be read as JSON: {e}")
            return None
        self.files += 1
        for error in sorted(SCHEMAS[schema].iter_errors(data), key=lambda e: list(e.path)):
            where = "$" + "".join(f"[{p!r}]" for p in error.path)
            self.problem(path, where, error.message)
        return data


def evals_key(trial):
    info = trial.get("agent_info") or {}
    model = (info.get("model_info") or {}).get("name")
    dataset = trial.get("source") or "adhoc"
    return f"{info.get('name')}__{model}__{dataset}" if model else f"{info.get('name')}__{dataset}"


def reward_key(value):
    # Python's str() of the float or int a pydantic dict[float | int, ...] key holds.
    return str(value)


def expected_stats(trials):
    stats = {"n_completed_trials": 0, "n_errored_trials": 0, "n_cancelled_trials": 0, "evals": {}}
    totals = {"n_input_tokens": None, "n_cache_tokens": None, "n_output_tokens": None, "cost_usd": None}
    for t in trials:
        stats["n_completed_trials"] += 1
        e = stats["evals"].setdefault(evals_key(t), {"n_trials": 0, "n_errors": 0,
                                                      "reward_stats": {}, "exception_stats": {}})
        rewards = (t.get("verifier_result") or {}).get("rewards")
        if rewards is not None:
            e["n_trials"] += 1
            for k, v in rewards.items():
                e["reward_stats"].setdefault(k, {}).setdefault(reward_key(v), []).append(t["trial_name"])
        exc = t.get("exception_info")
        if exc is not None:
            e["exception_stats"].setdefault(exc["exception_type"], []).append(t["trial_name"])
            e["n_errors"] += 1
            stats["n_errored_trials"] += 1
            if exc["exception_type"] == "CancelledError":
                stats["n_cancelled_trials"] += 1
        ctx = t.get("agent_result") or {}
        for k in totals:
            if ctx.get(k) is not None:
                totals[k] = (totals[k] or 0) + ctx[k]
    stats.update(totals)
    return stats


def same_lists(a, b):
    return {k: {v: sorted(n) for v, n in m.items()} for k, m in a.items()} == \
           {k: {v: sorted(n) for v, n in m.items()} for k, m in b.items()}


def check_job(job_dir, attempts=None):
    c = Checker()
    config = c.load(os.path.join(job_dir, "config.json"), "job_config")
    result = c.load(os.path.join(job_dir, "result.json"), "job_result")
    trials = []
    for name in sorted(os.listdir(job_dir)):
        path = os.path.join(job_dir, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        if not TRIAL_NAME.match(name):
            c.problem(path, "name", "not a Harbor trial name <task[:32]>__<7 characters>")
        tconfig = c.load(os.path.join(path, "config.json"), "trial_config")
        tresult = c.load(os.path.join(path, "result.json"), "trial_result")
        if tconfig is None or tresult is None:
            continue
        rpath = os.path.join(path, "result.json")
        if tresult.get("trial_name") != name:
            c.problem(rpath, "$['trial_name']", f"{tresult.get('trial_name')!r} is not the directory's name")
        if tconfig.get("trial_name") != name:
            c.problem(os.path.join(path, "config.json"), "$['trial_name']", "is not the directory's name")
        if tresult.get("config") != tconfig:
            c.problem(rpath, "$['config']", "differs from the trial's config.json")
        if result is not None and tconfig.get("job_id") != result.get("id"):
            c.problem(os.path.join(path, "config.json"), "$['job_id']", "is not the job's id")
        trials.append(tresult)

    if result is not None and isinstance(result.get("stats"), dict):
        rpath = os.path.join(job_dir, "result.json")
        got, want = result["stats"], expected_stats(trials)
        for k in ("n_completed_trials", "n_errored_trials", "n_cancelled_trials",
                  "n_input_tokens", "n_cache_tokens", "n_output_tokens"):
            if got.get(k) != want[k]:
                c.problem(rpath, f"$['stats'][{k!r}]", f"is {got.get(k)!r}, the trials make {want[k]!r}")
        if want["cost_usd"] is not None and abs((got.get("cost_usd") or 0) - want["cost_usd"]) > 1e-9:
            c.problem(rpath, "$['stats']['cost_usd']", "is not the trials' sum")
        pending = max(result.get("n_total_trials", 0) - got.get("n_completed_trials", 0)
                      - got.get("n_running_trials", 0), 0)
        if got.get("n_pending_trials") != pending:
            c.problem(rpath, "$['stats']['n_pending_trials']", f"is {got.get('n_pending_trials')!r}, expected {pending}")
        evals = got.get("evals", {})
        if sorted(evals) != sorted(want["evals"]):
            c.problem(rpath, "$['stats']['evals']", f"keys {sorted(evals)} but the trials make {sorted(want['evals'])}")
        for key, w in want["evals"].items():
            g = evals.get(key)
            if g is None:
                continue
            where = f"$['stats']['evals'][{key!r}]"
            for k in ("n_trials", "n_errors"):
                if g.get(k) != w[k]:
                    c.problem(rpath, f"{where}[{k!r}]", f"is {g.get(k)!r}, the trials make {w[k]!r}")
            if not same_lists(g.get("reward_stats", {}), w["reward_stats"]):
                c.problem(rpath, f"{where}['reward_stats']", "is not what the trials' rewards make")
            if {k: sorted(v) for k, v in g.get("exception_stats", {}).items()} != \
               {k: sorted(v) for k, v in w["exception_stats"].items()}:
                c.problem(rpath, f"{where}['exception_stats']", "is not what the trials' exceptions make")
    if config is not None and result is not None and attempts is not None:
        per_task = {}
        for t in trials:
            per_task[t["task_name"]] = per_task.get(t["task_name"], 0) + 1
        for task, n in per_task.items():
            if n != attempts:
                c.problem(job_dir, task, f"has {n} trials, expected {attempts}")
    return c


def main(argv):
    args = argv[1:]
    attempts = None
    if "--attempts" in args:
        i = args.index("--attempts")
        attempts = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1 or not os.path.isdir(args[0]):
        print("usage: check_job.py JOB_DIR [--attempts N]", file=sys.stderr)
        return 2
    c = check_job(args[0], attempts)
    for p in c.problems:
        print(p)
    if c.problems:
        return 1
    print(f"ok: {c.files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
