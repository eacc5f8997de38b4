"""The four forks the README promises, each made and run end to end at a tiny size, so the promise
cannot rot: a transformation is one function and one registry line in transforms.py (made in a
scratch copy of the project, nothing else edited); an architecture is one entry of models.MODELS;
a probe head is transfer.make_head; a new flag at its default keeps the runs made before it done."""
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch.nn as nn

import experiments
import models
import runfolder
import runner
import train
import transfer

ROOT = Path(__file__).resolve().parents[1]


def parse(script, argv):
    return script.get_args_parser().parse_args([str(a) for a in argv])


def probe_argv(checkpoint, out, *extra):
    return ["--checkpoint", checkpoint, "--classes", "3-5", "--train-samples", "32", "--test-samples", "16",
            "--epochs", "2", "--batch-size", "16", "--device", "cpu", "--out", out, *extra]


SOLARIZE = '''

def solarize(x, r):
    return torch.where(x >= r.uniform(0, 0.3, 0.7)[:, None, None, None], 1 - x, x)


REGISTRY["solarize"] = Transform(solarize, 0.5, "photometric", rgb=True)
'''


def test_a_transformation_is_one_function_and_one_registry_line(tmp_path):
    # a scratch copy of the project, where only transforms.py changes: the README's recipe, with
    # the registry line appended instead of written into the dict (the same entry)
    for f in ROOT.glob("*.py"):
        shutil.copy(f, tmp_path)
    source = (tmp_path / "transforms.py").read_text()
    anchor = "TRANSFORMS = list(REGISTRY)"
    (tmp_path / "transforms.py").write_text(source.replace(anchor, SOLARIZE.strip() + "\n" + anchor, 1))
    changed = [f.name for f in tmp_path.glob("*.py") if f.read_bytes() != (ROOT / f.name).read_bytes()]
    assert changed == ["transforms.py"]
    script = textwrap.dedent("""
        import json, sys
        import bench, data, invariance, train, transfer
        import sources, transforms
        assert "solarize" in data.TRANSFORMS and data.parse_transforms("photometric")[-1] == "solarize"
        x = sources.object_canvases("procedural", 32, "cpu").repeat(4, 1, 1, 1)
        out = transforms.apply_("solarize", x.clone(), transforms.Rand(transforms.hash32(data.torch.arange(len(x)))))
        changed = ((out != x) & (x[:, 3:] == 1)).flatten(1).any(1).float().mean().item()  # the opaque pixels
        assert 0.3 < changed < 0.7, changed  # p = 0.5
        data.generate(["solarize"], 64)
        run = lambda m, argv: m.main(m.get_args_parser().parse_args(argv))
        t = ["--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "32", "--val-samples",
             "8", "--test-samples", "8", "--epochs", "1", "--batch-size", "16", "--device", "cpu"]
        run(train, [*t, "--transforms", "solarize,rotate", "--out", "runs/pre"])
        run(transfer, ["--checkpoint", "runs/pre/checkpoint.pt", "--transforms", "solarize", "--classes", "3-5",
                       "--train-samples", "32", "--test-samples", "16", "--epochs", "2", "--device", "cpu",
                       "--out", "runs/probe"])
        run(invariance, ["--checkpoint", "runs/pre/checkpoint.pt", "--transforms", "solarize", "--classes", "3-5",
                         "--samples", "16", "--device", "cpu", "--out", "runs/inv"])
        rows = bench.bench_data(data.torch.device("cpu"), 64, 8, None, 1, names=[["solarize"]])
        print(json.dumps(rows))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads((tmp_path / "runs/probe/results.json").read_text())["records"][0]["transforms"] == ["solarize"]
    assert (tmp_path / "runs/inv/invariance.json").exists()
    row = json.loads(out.stdout.strip().splitlines()[-1])[0]
    assert row["name"] == "solarize" and row["ours_per_s"] > 0 and row["baseline_per_s"] is None  # no reference


class Tiny(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, max(8, round(16 * width)), 3, padding=1)

    def forward(self, x):
        return self.conv(x).relu().mean((2, 3))  # (B, C, H, W) -> (B, C)


def tiny(num_classes, width=1.0):
    body = Tiny(width)
    return models.Backbone(body, body.conv.out_channels, nn.Linear(body.conv.out_channels, num_classes))


@pytest.mark.parametrize("recipe", [{}, {"warmup_cosine": True, "weight_decay": 1e-4}])
def test_an_architecture_is_one_entry_of_models(tmp_path, tiny_train, monkeypatch, recipe):
    monkeypatch.setitem(models.MODELS, "tiny", models.Arch(tiny, **recipe))  # no cost: the default
    pre = tmp_path / "pre"
    argv = [*tiny_train(pre), "--arch", "tiny", "--epochs", "2"]
    train.main(parse(train, argv))
    lrs = [json.loads(line)["lr"] for line in (pre / "metrics.jsonl").read_text().splitlines()]
    # the recipe reaches the optimiser: a constant lr, or the warm-up-and-cosine schedule
    assert (lrs == [1e-3, 1e-3]) == (not recipe)
    model, _ = train.load_checkpoint(pre / "checkpoint.pt")
    assert isinstance(model.body, Tiny)
    transfer.main(parse(transfer, probe_argv(pre / "checkpoint.pt", tmp_path / "probe")))
    assert (tmp_path / "probe" / "results.json").exists()
    # and it is part of E1's architecture factor, with the default settings and cost
    runs, points = experiments.e1("small", str(tmp_path / "runs"), seeds=[0])
    assert "tiny" in {p.value for p in points if p.factor == "architecture"}
    run = next(r for r in runs if "/tiny-" in r.out and r.script == "train")
    assert run.argv[run.argv.index("--width") + 1] == "0.125" and run.cost == 12_000


def test_a_probe_head_is_one_function(tmp_path, tiny_checkpoint, monkeypatch):
    made = []

    def cosine_head(feature_dim, num_classes, hidden=0):  # a fork's head: normalised features, a linear layer
        made.append((feature_dim, num_classes, hidden))
        return nn.Sequential(nn.LayerNorm(feature_dim, elementwise_affine=False), nn.Linear(feature_dim, num_classes))

    monkeypatch.setattr(transfer, "make_head", cosine_head)
    transfer.main(parse(transfer, probe_argv(tiny_checkpoint, tmp_path / "probe", "--mode", "full",
                                             "--finetune-epochs", "1")))
    assert made == [(tiny_checkpoint_dim(tiny_checkpoint), 3, 0)]
    record = json.loads((tmp_path / "probe" / "results.json").read_text())["records"][0]
    assert 0 <= record["probe_test_acc"] <= 1 and 0 <= record["test_acc"] <= 1


def tiny_checkpoint_dim(checkpoint):
    return train.load_checkpoint(checkpoint)[0].feature_dim


def test_probe_hidden_makes_a_two_layer_head_and_keeps_older_probes_done(tmp_path, tiny_checkpoint):
    head = transfer.make_head(64, 3, hidden=16)
    assert [type(m) for m in head] == [nn.Linear, nn.ReLU, nn.Linear] and head[0].out_features == 16
    assert type(transfer.make_head(64, 3)) is nn.Linear
    out = tmp_path / "probe"
    transfer.main(parse(transfer, probe_argv(tiny_checkpoint, out, "--probe-hidden", "16")))
    assert json.loads((out / "results.json").read_text())["settings"]["probe_hidden"] == 16
    # a probe stored before --probe-hidden existed (its settings lack it) is done at the default
    linear = tmp_path / "linear"
    transfer.main(parse(transfer, probe_argv(tiny_checkpoint, linear)))
    stored = json.loads((linear / "results.json").read_text())
    del stored["settings"]["probe_hidden"]
    runfolder.write_json(linear / "results.json", stored)
    assert runfolder.is_done(linear, "results.json", parse(transfer, probe_argv(tiny_checkpoint, linear)),
                             transfer.get_args_parser())


def test_a_new_flag_at_its_default_keeps_stored_runs_done(tmp_path, tiny_train, monkeypatch, capsys):
    out = tmp_path / "run"
    train.main(parse(train, tiny_train(out)))  # made before the flag existed
    before = (out / "results.json").read_bytes()
    plain = train.get_args_parser

    def with_flag():
        p = plain()
        p.add_argument("--label-smoothing", type=float, default=0.0)
        return p

    monkeypatch.setattr(train, "get_args_parser", with_flag)
    run = runner.Run(str(out), "train", [*tiny_train(out)])
    assert runner.status(run) == "done"
    train.main(parse(train, tiny_train(out)))
    assert "skipping" in capsys.readouterr().out and (out / "results.json").read_bytes() == before
    changed = runner.status(run._replace(argv=[*run.argv, "--label-smoothing", "0.1"]))
    assert "other settings" in changed and "label_smoothing" in changed
    with pytest.raises(SystemExit, match="label_smoothing"):
        train.main(parse(train, [*tiny_train(out), "--label-smoothing", "0.1"]))
    assert (out / "results.json").read_bytes() == before
