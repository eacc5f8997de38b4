"""train.py and transfer.py: pretraining learns, seeding, the run folder, strict checkpoints, the
linear-probe protocol (only the head is optimised, the backbone never changes), several sets in
one run, full fine-tuning and clean CLI errors. All on CPU with 32 x 32 images and tiny runs."""
import argparse
import json

import pytest
import torch
import torch.nn as nn

import data
import invariance
import models
import train
import transfer


def train_args(out, *extra):
    return train.get_args_parser().parse_args(["--device", "cpu", "--out", str(out), *extra])


def transfer_args(checkpoint, out, *extra):
    return transfer.get_args_parser().parse_args(
        ["--checkpoint", str(checkpoint), "--device", "cpu", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """vgg11 on 3 untransformed objects: 600 images, 3 epochs. Batch 32 rather than 64 because
    with only 9 steps an epoch the BatchNorm running statistics still lag the weights after 3
    epochs and eval-mode accuracy stays at chance; 57 steps are enough."""
    out = tmp_path_factory.mktemp("pretrain")
    args = train_args(out, "--arch", "vgg11", "--classes", "0-2", "--train-samples", "600",
                      "--val-samples", "60", "--test-samples", "150", "--epochs", "3", "--batch-size", "32")
    model, metrics = train.train(args)
    return out, args, model, metrics


def test_pretraining_learns(pretrained):
    _, _, _, metrics = pretrained
    assert metrics["test_acc"] > 0.6  # chance is 1/3
    assert metrics["history"][-1]["train_loss"] < metrics["history"][0]["train_loss"]


def test_run_folder(pretrained, capsys):
    out, args, model, metrics = pretrained
    assert {p.name for p in out.iterdir()} == {"args.json", "metrics.jsonl", "checkpoint.pt", "results.json"}
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {"epoch", "train_loss", "train_acc", "val_acc", "lr", "seconds"}
    stored = json.loads((out / "args.json").read_text())
    assert stored["arch"] == "vgg11" and stored["threads"] == torch.get_num_threads()
    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"train_acc", "val_acc", "test_acc", "script", "settings"}
    assert results["script"] == "train.py" and results["settings"]["arch"] == "vgg11"
    assert results["test_acc"] == metrics["test_acc"]
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert not any(k.startswith("_orig_mod.") for k in ckpt["model"])

    # a second call finds results.json and skips: nothing is trained or rewritten
    mtime = (out / "checkpoint.pt").stat().st_mtime_ns
    _, again = train.train(args)
    assert "skipping" in capsys.readouterr().out
    assert again == results and (out / "checkpoint.pt").stat().st_mtime_ns == mtime

    # the same folder asked for with other settings is refused, not passed off as that run
    with pytest.raises(ValueError, match="other settings.*epochs: 3 != 5"):
        train.train(argparse.Namespace(**{**vars(args), "epochs": 5}))
    assert (out / "checkpoint.pt").stat().st_mtime_ns == mtime


def test_load_checkpoint_round_trip(pretrained):
    out, _, model, _ = pretrained
    loaded, ckpt_args = train.load_checkpoint(out / "checkpoint.pt", "cpu")
    assert ckpt_args["arch"] == "vgg11" and isinstance(loaded, models.Backbone)
    saved, ours = loaded.state_dict(), model.state_dict()
    assert saved.keys() == ours.keys() and all(torch.equal(saved[k], ours[k]) for k in saved)


def test_load_checkpoint_errors(tmp_path):
    # weights of another architecture under our format: strict loading refuses them
    vgg_weights = models.build("vgg11", 3).state_dict()
    torch.save({"model": vgg_weights, "args": {"arch": "resnet18", "classes": "0-2"}}, tmp_path / "other.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    (tmp_path / "text.pt").write_text("not a checkpoint")
    for name, message in [("other.pt", "does not match a resnet18"),
                          ("foreign.pt", "not a train.py checkpoint"),
                          ("text.pt", "not a readable checkpoint"), ("missing.pt", "does not exist")]:
        with pytest.raises(ValueError, match=message):
            train.load_checkpoint(tmp_path / name, "cpu")


def test_seed_fixes_first_batch_loss(tmp_path):
    # one epoch of one full batch: the epoch's mean loss is the first batch's loss
    def first_loss(seed):
        args = train_args(tmp_path / f"s{seed}", "--arch", "vgg11", "--classes", "0-2", "--seed", str(seed),
                          "--train-samples", "64", "--val-samples", "8", "--test-samples", "8",
                          "--epochs", "1", "--batch-size", "64", "--force")
        return train.train(args)[1]["history"][0]["train_loss"]

    a = first_loss(0)
    assert first_loss(0) == pytest.approx(a, rel=1e-6)
    assert first_loss(1) != pytest.approx(a, rel=1e-3)


def test_linear_probe_protocol(pretrained, monkeypatch):
    out, _, _, _ = pretrained
    backbone, _ = train.load_checkpoint(out / "checkpoint.pt", "cpu")
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    optimised = []

    class RecordingAdam(torch.optim.Adam):
        def __init__(self, params, **kw):
            params = list(params)
            optimised.append({id(p) for p in params})
            super().__init__(params, **kw)

    monkeypatch.setattr(torch.optim, "Adam", RecordingAdam)
    train_set = data.generate([], 120, classes=[3, 4, 5], seed=1, split="train")
    test_set = data.generate([], 60, classes=[3, 4, 5], seed=1, split="test")
    head, _, test_acc = transfer.probe(backbone, train_set, test_set, 3, epochs=10, batch_size=32, lr=1e-3, seed=0)
    assert optimised == [{id(p) for p in head.parameters()}]
    assert not backbone.training and not any(p.requires_grad for p in backbone.parameters())
    after = backbone.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert 0 <= test_acc <= 1


def test_linear_probe_catches_a_changing_backbone():
    # a backbone that (wrongly) updates its BatchNorm statistics during feature extraction
    class Leaky(models.Backbone):
        def features(self, x):
            self.body.train()
            return self.body(x)

    body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    images, labels = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8), torch.arange(16) % 2
    with pytest.raises(AssertionError):
        transfer.probe(Leaky(body, 4, nn.Linear(4, 2)), (images, labels), (images, labels), 2,
                       epochs=1, batch_size=8, lr=1e-3, seed=0)


def test_transfer_writes_results(pretrained, tmp_path):
    out, _, _, _ = pretrained
    args = transfer_args(out / "checkpoint.pt", tmp_path / "probe", "--classes", "3-5",
                         "--train-samples", "300", "--test-samples", "150", "--epochs", "20",
                         "--batch-size", "64")
    result = transfer.transfer(args)
    stored = json.loads((tmp_path / "probe" / "results.json").read_text())
    assert stored == result and stored["mode"] == "linear"
    record = stored["records"][0]
    assert record["transforms"] == [] and isinstance(record["test_acc"], float)
    assert record["test_acc"] > 0.5  # chance is 1/3


def test_several_sets_equal_separate_probes(tiny_checkpoint, tmp_path):
    common = ("--classes", "3-5", "--train-samples", "60", "--test-samples", "30", "--epochs", "5", "--seed", "2")
    sets = ["rotate", "rotate,hue", "none"]
    multi = transfer.transfer(transfer_args(tiny_checkpoint, tmp_path / "multi", "--transforms", *sets, *common))
    assert json.loads((tmp_path / "multi" / "results.json").read_text()) == multi
    assert [r["transforms"] for r in multi["records"]] == [["rotate"], ["rotate", "hue"], []]
    for t, rec in zip(sets, multi["records"]):
        alone = transfer.transfer(transfer_args(tiny_checkpoint, tmp_path / t, "--transforms", t, *common))
        assert alone["records"] == [rec]


def test_cli_errors(tmp_path, cli):
    for argv in (["train.py", "--arch", "nope", "--out", str(tmp_path / "run")],
                 ["transfer.py", "--checkpoint", "/nonexistent", "--out", str(tmp_path / "run")],
                 ["invariance.py", "--checkpoint", "/nonexistent", "--out", str(tmp_path / "run")]):
        r = cli(*argv, "--device", "cpu")
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{argv[0]}: error:"), r.stderr
        assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("script", [train, transfer, invariance])
def test_help(script, capsys):
    with pytest.raises(SystemExit) as exit_:
        script.get_args_parser().parse_args(["--help"])
    assert exit_.value.code == 0 and "(default: " in capsys.readouterr().out


def test_training_on_a_transformation_makes_features_invariant_to_it(tmp_path):
    # 3 epochs of vgg11 on rotated objects: about 0.1 against 0.57 untrained (L2, 200 pairs)
    args = train_args(tmp_path, "--arch", "vgg11", "--classes", "0-2", "--transforms", "rotate",
                      "--train-samples", "600", "--val-samples", "30", "--test-samples", "30",
                      "--epochs", "3", "--batch-size", "32")
    trained, _ = train.train(args)
    torch.manual_seed(0)
    untrained = models.build("vgg11", 3)
    ds = data.Dataset(transforms=("rotate",), classes=(0, 1, 2))
    assert invariance.invariance(trained, ds, 200)["l2"] < 0.5 * invariance.invariance(untrained, ds, 200)["l2"]


def test_full_fine_tuning(pretrained, tmp_path):
    out, _, model, _ = pretrained
    common = ["--classes", "3-5", "--train-samples", "64", "--test-samples", "32", "--batch-size", "32"]
    full = transfer.transfer(transfer_args(out / "checkpoint.pt", tmp_path / "full", *common,
                                           "--mode", "full", "--epochs", "2", "--finetune-epochs", "1"))
    record = full["records"][0]
    assert full["mode"] == "full" and 0 <= record["test_acc"] <= 1 and 0 <= record["probe_test_acc"] <= 1
    ckpt, _ = train.load_checkpoint(out / "checkpoint.pt")  # fine-tuning changed a copy, never the checkpoint
    assert all(torch.equal(a, b) for a, b in zip(ckpt.state_dict().values(), model.state_dict().values()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_probe_cuda_graph_matches_eager():
    g = torch.Generator().manual_seed(0)
    features = torch.randn(1000, 64, generator=g).cuda()
    labels = torch.randint(0, 5, (1000,), generator=g).cuda()
    heads = []
    for graph in (False, True):
        torch.manual_seed(0)  # same head init
        heads.append(transfer.fit_head(transfer.make_head(64, 5), features, labels, epochs=3, batch_size=128,
                                       lr=1e-3, seed=0, cuda_graph=graph))
    for eager, replayed in zip(heads[0].parameters(), heads[1].parameters()):
        assert torch.allclose(eager, replayed, atol=1e-5)


def test_checkpoint_rebuilds_a_narrow_network(tmp_path):
    model = models.build("resnet18", 3, width=0.25)
    torch.save({"model": model.state_dict(), "args": {"arch": "resnet18", "classes": "0-2", "width": 0.25}},
               tmp_path / "c.pt")
    loaded, _ = train.load_checkpoint(tmp_path / "c.pt")
    assert loaded.feature_dim == 128


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_graph_training_matches_eager(tmp_path):
    """--cuda-graph replays the same step: the loss curve and accuracy of a short run stay within
    run-to-run noise of the eager step (bf16, cudnn's choices: not bit for bit)."""
    runs = {}
    for name, extra in (("eager", []), ("graph", ["--cuda-graph"])):
        args = train.get_args_parser().parse_args([
            "--arch", "resnet18", "--width", "0.25", "--classes", "0-9", "--transforms", "rotate", "--train-samples",
            "4000", "--val-samples", "500", "--test-samples", "1000", "--epochs", "4", "--batch-size", "256",
            "--device", "cuda", "--out", str(tmp_path / name), *extra])
        runs[name] = train.train(args)[1]
    for a, b in zip(runs["eager"]["history"], runs["graph"]["history"]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=0.1, abs=0.05)
    assert abs(runs["eager"]["test_acc"] - runs["graph"]["test_acc"]) < 0.05
    vit = train.get_args_parser().parse_args([  # a scheduled lr: the graph reads the tensor the scheduler fills
        "--arch", "vit", "--width", "0.25", "--classes", "0-9", "--train-samples", "2000", "--val-samples", "100",
        "--test-samples", "100", "--epochs", "2", "--batch-size", "256", "--device", "cuda", "--cuda-graph",
        "--out", str(tmp_path / "vit")])
    history = train.train(vit)[1]["history"]
    assert history[0]["lr"] != history[1]["lr"] and all(h["train_loss"] == h["train_loss"] for h in history)
