"""models.py: shapes and feature dims of PROTOCOL.md section 3, the features/head split, the 32 x 32
stems, strict state_dict loading and parameter counts. The paper's five are pinned exactly; every
registered architecture (a fork's new one included) gets the generic checks."""
import pytest
import torch
import torch.nn as nn

import models

# arch: (feature_dim from PROTOCOL.md section 3, module whose output is the last spatial map, its shape
# at batch 2, parameter count with 10 classes). The maps show the CIFAR stems at work: an
# ImageNet stem would leave the ResNets and DenseNet at 1 x 1. The counts pin the architectures
# exactly; resnet18, resnet50, densenet121 (densenet_cifar) and vgg11 (VGG('VGG11')) equal
# kuangliu/pytorch-cifar's, vit's is 7 x 1,774,464 per layer plus embeddings, final norm, head.
ARCHS = {
    "resnet18": (512, lambda m: m.body.layer4, (2, 512, 4, 4), 11_173_962),
    "resnet50": (2048, lambda m: m.body.layer4, (2, 2048, 4, 4), 23_520_842),
    "densenet121": (384, lambda m: m.body.features, (2, 384, 4, 4), 1_000_618),
    "vgg11": (512, lambda m: m.body[0], (2, 512, 1, 1), 9_231_114),
    "vit": (384, lambda m: m.body.conv_proj, (2, 384, 8, 8), 12_470_026),  # 8 x 8 patch grid
}


def test_the_papers_architectures_come_first_in_its_order():
    assert list(models.MODELS)[:5] == list(ARCHS)
    assert models.MODELS["vit"].weight_decay == 5e-5 and models.MODELS["vit"].warmup_cosine
    assert not any(a.warmup_cosine or a.weight_decay for name, a in models.MODELS.items() if name != "vit")


@pytest.mark.parametrize("arch", models.MODELS)
@torch.no_grad()
def test_every_registered_architecture_is_a_backbone(arch):
    torch.manual_seed(0)
    model = models.build(arch, 7, width=0.25).eval()
    nn.init.normal_(model.head.weight)
    x = torch.randn(2, 3, 32, 32)
    feats = model.features(x)
    assert feats.shape == (2, model.feature_dim)
    torch.testing.assert_close(model(x), model.head(feats))
    assert model(x).shape == (2, 7) and models.MODELS[arch].cost > 0


@pytest.mark.parametrize("arch", ARCHS)
@torch.no_grad()
def test_shapes_head_and_channels_last(arch):
    feature_dim, last_map, map_shape, n_params = ARCHS[arch]
    torch.manual_seed(0)
    model = models.build(arch, 10).eval()
    assert model.feature_dim == feature_dim
    assert sum(p.numel() for p in model.parameters()) == n_params
    assert type(model.head) is nn.Linear
    assert (model.head.in_features, model.head.out_features) == (feature_dim, 10)
    # torchvision zero-inits the ViT head, which would make forward == head(features) vacuous
    nn.init.normal_(model.head.weight)

    shapes = []
    last_map(model).register_forward_hook(lambda mod, inp, out: shapes.append(tuple(out.shape)))
    x = torch.randn(2, 3, 32, 32)
    feats, logits = model.features(x), model(x)
    assert feats.shape == (2, feature_dim) and logits.shape == (2, 10)
    assert shapes == [map_shape, map_shape]
    torch.testing.assert_close(logits, model.head(feats))

    # train.py runs channels_last on CUDA; the layout must not change the function
    model.to(memory_format=torch.channels_last)
    torch.testing.assert_close(model(x.contiguous(memory_format=torch.channels_last)), logits,
                               atol=1e-4, rtol=1e-4)


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match="unknown architecture 'resnet34'; choose from resnet18, "
                                         "resnet50, densenet121, vgg11, vit"):  # the registry's names
        models.build("resnet34", 10)


@pytest.mark.parametrize("arch", models.MODELS)
@torch.no_grad()
def test_state_dict_round_trip(arch):
    torch.manual_seed(0)
    a = models.build(arch, 10).eval()
    nn.init.normal_(a.head.weight)
    b = models.build(arch, 10).eval()
    x = torch.randn(2, 3, 32, 32)
    assert not torch.allclose(a.features(x), b.features(x))  # else the check below is vacuous
    b.load_state_dict(a.state_dict(), strict=True)
    assert torch.equal(a.features(x), b.features(x)) and torch.equal(a(x), b(x))


def test_strict_load_rejects_another_arch():
    with pytest.raises(RuntimeError, match="Missing key"):
        models.build("vgg11", 10).load_state_dict(models.build("resnet18", 10).state_dict())


@pytest.mark.parametrize("arch,feature_dim", [("resnet18", 64), ("resnet50", 256), ("densenet121", 64),
                                              ("vgg11", 64), ("vit", 48)])
@torch.no_grad()
def test_width_scales_the_network(arch, feature_dim):
    narrow = models.build(arch, 10, width=0.125).eval()
    assert narrow.feature_dim == feature_dim
    assert narrow.features(torch.randn(2, 3, 32, 32)).shape == (2, feature_dim)
    full = sum(p.numel() for p in models.build(arch, 10).parameters())
    assert sum(p.numel() for p in narrow.parameters()) < full / 10
