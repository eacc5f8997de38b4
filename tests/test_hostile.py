"""The second hostile-user pass (307 cases at tiny sizes; items 1-10 of its issue and the cheap
lesser ones, each test named by its item): a run never deletes another script's result, a finite
explosion is not a success, a killed sweep takes its workers with it, equal settings written
differently are the same run, one seed claims no interval, a broken or foreign result is neither
done nor drawn, and every bad command line ends with one line, a non-zero exit and no traceback."""
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import data
import experiments
import invariance
import models
import plots
import runner
import tables
import train
import transfer

ROOT = Path(__file__).resolve().parents[1]
# the sizes: T for train.py, P for transfer.py
T = ["--train-samples", "64", "--val-samples", "16", "--test-samples", "32", "--width", "0.125", "--batch-size", "16",
     "--epochs", "1", "--device", "cpu"]
P = ["--train-samples", "32", "--test-samples", "32", "--epochs", "2", "--device", "cpu"]
# a pretraining of a second, without --device and --out: as a planned run's argv (runner.Run)
TINY = ["--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "16", "--val-samples", "4",
        "--test-samples", "4", "--epochs", "1", "--batch-size", "8"]


def parse(script, argv):
    return script.get_args_parser().parse_args([str(a) for a in argv])


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def finite_result(path):
    """True if path is a result file whose test_acc reads back as a finite number."""
    try:
        value = json.loads(Path(path).read_text()).get("test_acc")
    except (OSError, ValueError):
        return False
    return isinstance(value, (int, float)) and math.isfinite(value)


def run_briefly(tmp_path, *argv, limit=90):
    """A script as a fresh process in a session of its own, stopped with every process it started
    at its first traceback or after `limit` seconds (a sweep that should have been refused would
    otherwise train for hours). Returns (exit code, stderr)."""
    err = tmp_path / "stderr.txt"
    with open(err, "w") as f:
        proc = subprocess.Popen([sys.executable, *map(str, argv)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=f,
                                start_new_session=True)
    deadline = time.time() + limit
    while proc.poll() is None and time.time() < deadline and "Traceback" not in err.read_text():
        time.sleep(0.2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its workers too, if it left any
    except ProcessLookupError:
        pass
    proc.wait()
    return proc.returncode, err.read_text()


def assert_one_line(rc, err):
    assert "Traceback" not in err, err[-2000:]
    assert rc is not None and rc > 0 and len(lines(err)) == 1, (rc, err[-2000:])


# ----------------------------------------------------------------------------------------
# 1. A run of another script into a folder deletes that folder's result


@pytest.mark.parametrize("first,second", [("transfer", "invariance"), ("invariance", "transfer"),
                                          ("invariance", "train")])
def test_1_a_run_of_another_script_is_refused_and_the_result_kept(tmp_path, tiny_checkpoint, tiny_train, refused,
                                                                  first, second):
    out = tmp_path / "run"
    scripts = {"train": train, "transfer": transfer, "invariance": invariance}
    argv = {"transfer": ["--checkpoint", tiny_checkpoint, *P, "--out", out],
            "invariance": ["--checkpoint", tiny_checkpoint, "--samples", "16", "--device", "cpu", "--out", out],
            "train": tiny_train(out)}
    scripts[first].main(parse(scripts[first], argv[first]))
    line = refused(scripts[second], argv[second], tmp_path)  # and every file as it was
    assert f"{first}.py" in line  # what the folder holds


# ----------------------------------------------------------------------------------------
# 2. Finite divergence passes as success


def test_2_an_exploding_loss_stops_training(tmp_path, refused):
    out = tmp_path / "run"
    # at lr 1e6 the loss reaches about 4e13 and the weights 1e28, every number finite
    refused(train, [*T, "--lr", "1e6", "--out", out], tmp_path / "elsewhere")
    assert not (out / "checkpoint.pt").exists() and not (out / "results.json").exists()


def test_2_an_exploding_probe_is_not_a_result(tmp_path, tiny_checkpoint, refused):
    out = tmp_path / "probe"
    refused(transfer, ["--checkpoint", tiny_checkpoint, *P, "--lr", "1e30", "--out", out], tmp_path / "elsewhere")
    assert not (out / "results.json").exists()


# ----------------------------------------------------------------------------------------
# 3. SIGTERM or SIGKILL of a sweep orphans its workers

SWEEP = textwrap.dedent("""\
    import sys
    import runner
    argv = ["--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "512", "--val-samples",
            "4", "--test-samples", "4", "--epochs", "1000", "--batch-size", "32"]
    runner.run([runner.Run(out, "train", [*argv, "--out", out]) for out in sys.argv[1:]], jobs=2, device="cpu")
    """)


def descendants(pid):
    """The live (not zombie) processes below pid, from /proc."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError, ValueError):
            continue
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_3_a_killed_sweep_takes_its_workers_with_it(tmp_path, tiny_train, sig):
    # about 20 s: two workers start (torch imported in each) and begin training
    outs = [tmp_path / "a", tmp_path / "b"]
    err = tmp_path / "stderr.txt"
    with open(err, "w") as f:
        proc = subprocess.Popen([sys.executable, "-c", SWEEP, *map(str, outs)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=f, start_new_session=True)
    workers = []
    try:
        deadline = time.time() + 120
        while not all((o / "args.json").exists() for o in outs) and time.time() < deadline:  # both training
            time.sleep(0.2)
        assert all((o / "args.json").exists() for o in outs), err.read_text()
        workers = descendants(proc.pid)
        assert workers
        os.kill(proc.pid, sig)  # the parent only, as `kill` or the OOM killer does
        rc = proc.wait(timeout=60)
        deadline = time.time() + 15
        while any(alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.2)
        left = [p for p in workers if alive(p)]
        try:  # the same folder again at once: its lock must have gone with its writer
            train.main(parse(train, tiny_train(outs[0])))
            rerun = None
        except SystemExit as e:
            rerun = e.code
        assert left == [], f"{len(left)} of {len(workers)} processes of the sweep outlived it"
        assert rerun is None, rerun
        if sig == signal.SIGTERM:  # as Ctrl-C: one line, no traceback, a non-zero exit
            text = err.read_text()
            assert rc != 0 and "Traceback" not in text, text[-2000:]
    finally:
        for pid in [proc.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def test_3_a_closed_pipe_is_no_traceback():
    # paper scale: 200 kB of commands, more than a pipe holds, so the write after head exits fails every time
    res = subprocess.run(f"{sys.executable} experiments.py fig2 --scale paper --commands | head -1", shell=True,
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert len(lines(res.stdout)) == 1 and "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr, \
        res.stderr[-2000:]


# ----------------------------------------------------------------------------------------
# 4. Settings compared as raw strings refuse identical runs


def stamps(folder):
    return {p: p.stat().st_mtime_ns for p in Path(folder).rglob("*.json")}


@pytest.mark.parametrize("first,again", [
    (["--classes", "0-2"], ["--classes", "0,1,2"]),
    (["--transforms", "geometric"], ["--transforms", ",".join(data.CATEGORIES["geometric"])]),
])
def test_4_equal_settings_written_differently_are_done(tmp_path, tiny_train, first, again):
    out = tmp_path / "run"
    train.main(parse(train, tiny_train(out, *first)))
    before = stamps(out)
    train.main(parse(train, tiny_train(out, *again)))  # no SystemExit: the same run, skipped
    assert stamps(out) == before


def test_4_a_checkpoint_path_written_differently_is_the_same_run(tmp_path, tiny_checkpoint, monkeypatch):
    monkeypatch.chdir(tiny_checkpoint.parent)
    out = tmp_path / "probe"
    transfer.main(parse(transfer, ["--checkpoint", "checkpoint.pt", *P, "--out", out]))
    before = stamps(out)
    transfer.main(parse(transfer, ["--checkpoint", "./checkpoint.pt", *P, "--out", out]))
    assert stamps(out) == before


def mini_plan(root):
    """A pretraining and a probe of it, planned under root as experiments.py plans --root."""
    pre, probe = f"{root}/pre", f"{root}/probe"
    return [runner.Run(pre, "train", [*TINY, "--out", pre]),
            runner.Run(probe, "transfer", ["--checkpoint", f"{pre}/checkpoint.pt", *P[:-2], "--out", probe],
                       needs=pre)]


def test_4_a_root_written_differently_finds_its_runs_done(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for r in mini_plan("runs"):  # made here, as the sweep's workers make them
        script = {"train": train, "transfer": transfer}[r.script]
        script.main(parse(script, [*r.argv, "--device", "cpu"]))
    before = stamps(tmp_path / "runs")
    assert runner.run(mini_plan("./runs"), jobs=1, device="cpu") == []  # nothing refused
    assert stamps(tmp_path / "runs") == before  # and nothing made again


# ----------------------------------------------------------------------------------------
# 5. One seed shown as a 95% interval of ±0.000


def test_5_one_seed_has_no_interval(tmp_path, fake_e1, capsys):
    fake_e1(tmp_path / "runs")
    plots.main(parse(plots, ["fig2", "--root", tmp_path / "runs", "--seeds", "0", "--out", tmp_path / "fig2.png"]))
    table = capsys.readouterr().out.split("\n\n")[0].splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    interval = next(i for i, c in enumerate(header) if "interval above 0" in c)
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in table[2:]]
    assert rows and all(row[interval] == "n/a" for row in rows), table
    assert not any("± 0.000" in row for row in table), table  # no interval of 0 from one value


# ----------------------------------------------------------------------------------------
# 6. The skip check accepts broken results


def break_result(path, how):
    stored = json.loads(path.read_text())
    if how == "nan":
        stored["test_acc"] = float("nan")  # json.dumps writes NaN, as a hand edit or another tool would
    else:
        del stored["test_acc"]
    path.write_text(json.dumps(stored))


@pytest.mark.parametrize("how", ["nan", "missing"])
def test_6_a_broken_result_is_not_done(tmp_path, tiny_train, how):
    out = tmp_path / "run"
    train.main(parse(train, tiny_train(out)))
    break_result(out / "results.json", how)
    try:
        train.main(parse(train, tiny_train(out)))
    except SystemExit as e:  # refused: one line
        assert isinstance(e.code, str) and len(lines(e.code)) == 1, e.code
    else:  # or made again
        assert finite_result(out / "results.json"), "a broken result passed off as done"


def test_6_a_sweep_does_not_count_a_broken_result_as_done(tmp_path):
    out = str(tmp_path / "run")
    train.main(parse(train, [*TINY, "--device", "cpu", "--out", out]))
    break_result(Path(out) / "results.json", "nan")
    failed = runner.run([runner.Run(out, "train", [*TINY, "--out", out])], jobs=1, device="cpu")
    assert failed == [out] or finite_result(Path(out) / "results.json"), "a broken result counted as done"


# ----------------------------------------------------------------------------------------
# 7. plots.py and tables.py draw what they should refuse


def refuses_to_draw(refused, tmp_path, script, argv, folder):
    line = refused(script, argv, tmp_path)
    assert str(folder) in line  # the run folder, or its result file in it
    assert not list(tmp_path.rglob("*.png")) and not list(tmp_path.rglob("*.md"))


def test_7_an_accuracy_out_of_range_is_not_drawn(tmp_path, fake_e2, refused):
    fake_e2(tmp_path / "runs")
    path = Path(experiments.e2("small", str(tmp_path / "runs"))[1][0].probe) / "results.json"
    stored = json.loads(path.read_text())
    stored["records"][0]["test_acc"] = 7.5
    path.write_text(json.dumps(stored))
    refuses_to_draw(refused, tmp_path, plots, ["fig4", "--root", tmp_path / "runs", "--out", tmp_path / "f.png"],
                    path.parent)


def test_7_an_e4_accuracy_out_of_range_is_not_tabulated(tmp_path, refused):
    cell = experiments.e4("small", str(tmp_path / "runs"), "cifar")[1][0]
    path = Path(cell.run.out) / cell.run.result
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"records": [{"transforms": [], "test_acc": 7.5}]}))
    refuses_to_draw(refused, tmp_path, tables, ["table-irrelevant", "--root", tmp_path / "runs", "--out",
                                                tmp_path / "t.md"], path.parent)


def test_7_a_result_made_with_other_sizes_is_not_drawn(tmp_path, fake_e2, refused):
    fake_e2(tmp_path / "runs")
    point = experiments.e2("small", str(tmp_path / "runs"))[1][0]
    planned = next(r for r in experiments.e2("small", str(tmp_path / "runs"))[0] if r.out == point.probe)
    settings = {k: v for k, v in vars(parse(transfer, planned.argv)).items() if k not in ("device", "out", "force")}
    path = Path(point.probe) / "results.json"
    stored = json.loads(path.read_text())
    # the folder's name carries no sizes: only the stored settings tell this probe from the planned one
    path.write_text(json.dumps({**stored, "settings": {**settings, "train_samples": 32, "test_samples": 32}}))
    refuses_to_draw(refused, tmp_path, plots, ["fig4", "--root", tmp_path / "runs", "--out", tmp_path / "f.png"],
                    point.probe)


# ----------------------------------------------------------------------------------------
# 8. experiments.py tracebacks


@pytest.mark.parametrize("extra,says", [(["--jobs", "0"], "--jobs"), (["--jobs", "abc"], "--jobs"),
                                        (["--jobs", "-1"], "--jobs"), (["--device", "cuda"], "cuda")])
def test_8_bad_sweep_flags_are_one_line(tmp_path, extra, says):
    if "cuda" in extra and torch.cuda.is_available():
        pytest.skip("checks the refusal without a GPU")
    rc, err = run_briefly(tmp_path, "experiments.py", "fig4", "--root", tmp_path / "runs", "--device", "cpu", *extra)
    assert_one_line(rc, err)
    assert says in err and not (tmp_path / "runs").exists()


def test_8_a_root_that_is_a_file_is_one_line(tmp_path):
    root = tmp_path / "README.md"
    root.write_text("mine")
    rc, err = run_briefly(tmp_path, "experiments.py", "fig4", "--root", root, "--seeds", "0", "--jobs", "1",
                          "--device", "cpu")
    assert_one_line(rc, err)
    assert root.read_text() == "mine"


def test_8_a_corrupt_cifar_batch_is_one_line(tmp_path, make_cifar):
    make_cifar(tmp_path / "cifar")
    path = tmp_path / "cifar" / "cifar-10-batches-py" / "data_batch_2"
    path.write_bytes(b"\x80\x04\x95")  # a truncated pickle
    rc, err = run_briefly(tmp_path, "experiments.py", "fig2", "--cifar-dir", tmp_path / "cifar", "--root",
                          tmp_path / "runs", "--commands")
    assert_one_line(rc, err)
    assert str(path) in err


# ----------------------------------------------------------------------------------------
# 9. A device that does not exist fails every run one by one


def test_9_an_unknown_device_is_refused_before_planning(tmp_path):
    rc, err = run_briefly(tmp_path, "experiments.py", "fig4", "--root", tmp_path / "runs", "--seeds", "0", "--jobs",
                          "1", "--device", "tpu")
    assert_one_line(rc, err)
    assert "tpu" in err and not list(tmp_path.rglob("*.log"))


# ----------------------------------------------------------------------------------------
# 10. Exit codes and --out of plots.py and tables.py


def test_10_paper_check_without_runs_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it writes under figures/ of the current folder
    with pytest.raises(SystemExit) as stop:
        tables.main(parse(tables, ["paper-check", "--root", tmp_path / "runs"]))
    assert isinstance(stop.value.code, str) and len(lines(stop.value.code)) == 1, stop.value.code
    assert not list(tmp_path.rglob("paper_check*"))  # no table of nan


def test_10_figures_with_a_broken_result_exits_non_zero(tmp_path, fake_e2, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake_e2(tmp_path / "runs")
    (Path(experiments.e2("small", str(tmp_path / "runs"))[1][0].pretrain) / "results.json").write_text("")
    with pytest.raises(SystemExit) as stop:
        tables.main(parse(tables, ["figures", "--root", tmp_path / "runs"]))
    assert stop.value.code not in (None, 0)


@pytest.mark.parametrize("where", ["under a file", "read-only"])
@pytest.mark.parametrize("script", ["plots", "tables"])
def test_10_an_out_that_cannot_be_written_is_one_line(tmp_path, fake_e2, fake_e3, refused, request, where, script):
    (tmp_path / "file").write_text("mine")
    folder = tmp_path / "file" if where == "under a file" else request.getfixturevalue("read_only")
    if script == "plots":
        fake_e2(tmp_path / "runs")
        line = refused(plots, ["fig4", "--root", tmp_path / "runs", "--out", folder / "fig4.png"], tmp_path)
    else:
        fake_e3(tmp_path / "runs")
        line = refused(tables, ["table-invariance", "--root", tmp_path / "runs", "--out", folder / "t.md"], tmp_path)
    assert str(folder) in line  # where it cannot write


# ----------------------------------------------------------------------------------------
# The lesser ones


def write_png(path, seed, size=12):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    Image.fromarray(pixels, "RGBA").save(path)


def test_lesser_si_score_images_that_change_are_not_done(tmp_path, tiny_train):
    root = tmp_path / "si"
    for c in ("a", "b"):
        write_png(root / "foregrounds" / c / "0.png", seed=0)
    (root / "backgrounds").mkdir()
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(root / "backgrounds" / "0.jpg")
    argv = tiny_train(tmp_path / "run", "--objects", root, "--backgrounds", root, "--classes", "0-1")
    train.main(parse(train, argv))
    before = stamps(tmp_path / "run")
    write_png(root / "foregrounds" / "a" / "0.png", seed=1, size=16)  # another object, same path
    try:
        train.main(parse(train, argv))
    except SystemExit as e:  # refused as a run with other settings
        assert isinstance(e.code, str) and len(lines(e.code)) == 1, e.code
    else:  # or made again from the new images
        assert stamps(tmp_path / "run") != before, "the result of other images passed off as done"


def test_lesser_invariance_on_train_data_of_a_checkpoint_that_does_not_say_it(tmp_path, refused):
    path = tmp_path / "pre" / "checkpoint.pt"
    path.parent.mkdir()
    # an older checkpoint's arguments: no dataset, objects or backgrounds to measure "train" on
    torch.save({"model": models.build("vgg11", 3, 0.125).state_dict(),
                "args": {"arch": "vgg11", "classes": "0-2", "width": 0.125}}, path)
    refused(invariance, ["--checkpoint", path, "--distributions", "train", "--samples", "8", "--device", "cpu",
                         "--out", tmp_path / "inv"], tmp_path)


def test_lesser_results_without_their_checkpoint_are_not_skipped(tmp_path, tiny_train, capsys):
    out = tmp_path / "run"
    train.main(parse(train, tiny_train(out)))
    (out / "checkpoint.pt").unlink()
    capsys.readouterr()
    try:
        train.main(parse(train, tiny_train(out)))
    except SystemExit as e:  # refused, without first saying it skips
        assert isinstance(e.code, str) and len(lines(e.code)) == 1, e.code
        assert "skipping" not in capsys.readouterr().out
    else:  # or made again
        assert (out / "checkpoint.pt").exists()


@pytest.mark.parametrize("change", ["missing", "unexpected"])
def test_lesser_a_state_dict_mismatch_names_the_key(tmp_path, refused, change):
    weights = models.build("vgg11", 3, 0.125).state_dict()
    key = next(iter(weights)) if change == "missing" else "stray.weight"
    if change == "missing":
        del weights[key]
    else:
        weights[key] = torch.zeros(3)
    path = tmp_path / "pre" / "checkpoint.pt"
    path.parent.mkdir()
    torch.save({"model": weights, "args": {"arch": "vgg11", "classes": "0-2", "width": 0.125}}, path)
    line = refused(transfer, ["--checkpoint", path, *P, "--out", tmp_path / "probe"], tmp_path)
    assert key in line


def importing_torch(pid):
    """True once the process has mapped one of torch's libraries: its first second of imports."""
    try:
        return "torch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_lesser_ctrl_c_while_starting_is_one_line(tmp_path, tiny_train, interruptible):
    proc = subprocess.Popen([sys.executable, "train.py", *tiny_train(tmp_path / "run")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **interruptible)
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline and not importing_torch(proc.pid):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)  # train.py has started and is still importing torch
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err and len(lines(err)) == 1, err[-2000:]


@pytest.mark.parametrize("transforms", ["rotate,rotate", "rotate,,hue"])
def test_lesser_a_malformed_transformation_list_is_refused(tmp_path, tiny_train, refused, transforms):
    line = refused(train, tiny_train(tmp_path / "run", "--transforms", transforms), tmp_path)
    assert "--transforms" in line or "rotate" in line


def test_lesser_an_unknown_split_is_refused(tmp_path, refused):
    line = refused(data, ["--n", "4", "--split", "tset", "--out", tmp_path / "grid.png"], tmp_path)
    assert "tset" in line


def test_lesser_a_width_below_one_channel_is_refused(tmp_path, tiny_train, refused):
    line = refused(train, tiny_train(tmp_path / "run", "--width", "1e-9"), tmp_path)
    assert "--width" in line


@pytest.mark.parametrize("argv", [["train", "--batch-size", "0"], ["train", "--steps", "-1"],
                                  ["data", "--json", "FILE/bench.json"]])
def test_lesser_bench_refuses_bad_arguments_first(tmp_path, argv):
    (tmp_path / "FILE").write_text("mine")
    argv = [a.replace("FILE", str(tmp_path / "FILE")) for a in argv]
    small = ["--arch", "vgg11", "--probe-epochs", "1"] if argv[0] == "train" else ["--n", "4", "--baseline-n", "4",
                                                                                  "--repeats", "1"]
    rc, err = run_briefly(tmp_path, "bench.py", *argv, *small, limit=120)
    assert_one_line(rc, err)
