"""The five backbones of the paper, as the 32 x 32 CIFAR-style variants (PROTOCOL.md section 3).

Speicher et al., "Understanding the Role of Invariance in Transfer Learning" (TMLR 2024),
pretrain ResNet-18/50, DenseNet-121, VGG-11 and a small ViT on 32 x 32 images and then fit
linear probes on their frozen penultimate features. Every model here is a `Backbone`:

    model = build("resnet18", num_classes=10)
    model.features(x)   # (B, 3, 32, 32) -> (B, model.feature_dim), what the probe sees
    model.head          # nn.Linear(feature_dim, num_classes); model(x) == head(features(x))

The architecture code is torchvision's, with the stems and sizes changed for 32 x 32 inputs,
and the weights are torchvision's default init: nothing is ever downloaded or pretrained.
`python -c "import models; print(models.build('vit', 10))"` prints a model; building all five
takes under a second on two CPU cores. An architecture is one entry of MODELS: its builder, and
optionally its training recipe and its cost; train.py, the experiments and the tests read it from
there. The functions at the end say how a backbone runs on a device: its memory layout, its input
scaling and its mixed precision, shared by training, transfer and invariance.
"""
import contextlib
import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn as nn
from torchvision.models import densenet, resnet, vgg, vision_transformer


class Backbone(nn.Module):
    """`body` maps images to pooled features of size `feature_dim`; `head` maps those to logits.

    Keeping the head a separate attribute lets transfer code freeze `body`, swap `head` for a
    probe with a different number of classes, and load pretrained weights strictly.
    """

    def __init__(self, body: nn.Module, feature_dim: int, head: nn.Module):
        super().__init__()
        self.body = body
        self.feature_dim = feature_dim
        self.head = head

    def features(self, x):
        return self.body(x)  # (B, 3, 32, 32) -> (B, feature_dim)

    def forward(self, x):
        return self.head(self.features(x))


def _scaled(channels: int, width: float) -> int:
    """channels times the width multiplier; width 1 is the paper's network."""
    return max(8, round(channels * width))


def _cifar_stem(out_channels: int) -> nn.Conv2d:
    # A 3x3 stride-1 conv instead of ImageNet's 7x7 stride-2 one, so a 32 x 32 image keeps its
    # resolution into the first block (kuangliu/pytorch-cifar). Same init torchvision's ResNet
    # gives its convs.
    conv = nn.Conv2d(3, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    return conv


class _ResNet(resnet.ResNet):
    """torchvision's ResNet with every stage `width` times as wide (width 1: unchanged). Its
    __init__ builds the stages through _make_layer, so that is where the widths change."""

    def __init__(self, block, layers, num_classes, width):
        self._width = width
        super().__init__(block, layers, num_classes=num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:  # the first stage takes the stem's (scaled) channels
            self.inplanes = _scaled(64, self._width)
        return super()._make_layer(block, _scaled(planes, self._width), blocks, stride, dilate)


def _resnet(block, layers, num_classes, width) -> Backbone:
    net = _ResNet(block, layers, num_classes, width)
    # With the max-pool gone too, the last stage runs at 4 x 4 instead of 1 x 1.
    net.conv1, net.bn1 = _cifar_stem(_scaled(64, width)), nn.BatchNorm2d(_scaled(64, width))
    net.maxpool = nn.Identity()
    feature_dim = _scaled(512, width) * block.expansion
    net.fc = nn.Identity()  # torchvision's forward ends avgpool, flatten, fc
    return Backbone(net, feature_dim, nn.Linear(feature_dim, num_classes))


def resnet18(num_classes: int, width: float = 1.0) -> Backbone:
    """ResNet-18 (He et al. 2016): BasicBlock [2, 2, 2, 2], widths 64..512, pooled 512-d."""
    return _resnet(resnet.BasicBlock, [2, 2, 2, 2], num_classes, width)


def resnet50(num_classes: int, width: float = 1.0) -> Backbone:
    """ResNet-50: Bottleneck [3, 4, 6, 3] (stride on the 3x3 conv, torchvision's v1.5), 2048-d."""
    return _resnet(resnet.Bottleneck, [3, 4, 6, 3], num_classes, width)


def densenet121(num_classes: int, width: float = 1.0) -> Backbone:
    """The "densenet_cifar" of kuangliu/pytorch-cifar: DenseNet-BC blocks [6, 12, 24, 16], growth 12,
    bottleneck 4 x growth, transitions halving channels (reduction 0.5), pooled 384-d.

    The name follows the paper: the block layout is DenseNet-121's but the growth rate is 12,
    not 32, so this has about 1.0M parameters rather than 7M. The stem is kuangliu's, a lone
    3x3 conv to 2 x growth = 24 channels: torchvision's BatchNorm, ReLU and max-pool after it
    are removed (each dense layer starts with its own BatchNorm and ReLU). Channels: 24 +6*12
    = 96 -> 48, +12*12 = 192 -> 96, +24*12 = 384 -> 192, +16*12 = 384.
    """
    growth = max(2, round(12 * width))
    net = densenet.DenseNet(growth_rate=growth, block_config=(6, 12, 24, 16), num_init_features=2 * growth,
                            bn_size=4, num_classes=num_classes)
    net.features.conv0 = nn.Conv2d(3, 2 * growth, kernel_size=3, padding=1, bias=False)
    nn.init.kaiming_normal_(net.features.conv0.weight)  # torchvision's DenseNet conv init
    del net.features.norm0, net.features.relu0, net.features.pool0
    # torchvision's forward ends relu, adaptive avg-pool to 1x1, flatten, classifier:
    # (B, 384, 4, 4) -> (B, 384)
    head, net.classifier = net.classifier, nn.Identity()
    return Backbone(net, head.in_features, head)


def vgg11(num_classes: int, width: float = 1.0) -> Backbone:
    """VGG-11 (Simonyan & Zisserman 2015, config "A") with BatchNorm, CIFAR style: the five
    max-pools take 32 x 32 to 1 x 1 x 512, flattened into 512-d features with one linear head
    (kuangliu/pytorch-cifar), instead of torchvision's 7 x 7 pool and 4096-wide classifier.
    The flatten assumes 32 x 32 inputs, as every dataset here has.
    """
    convs = vgg.make_layers([v if v == "M" else _scaled(v, width) for v in vgg.cfgs["A"]], batch_norm=True)
    # make_layers leaves PyTorch's default init; this is the init torchvision's VGG applies.
    for m in convs.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
    feature_dim = _scaled(512, width)
    head = nn.Linear(feature_dim, num_classes)
    nn.init.normal_(head.weight, 0, 0.01)
    nn.init.zeros_(head.bias)
    body = nn.Sequential(convs, nn.Flatten())  # (B, 512, 1, 1) -> (B, 512)
    return Backbone(body, feature_dim, head)


def vit(num_classes: int, width: float = 1.0) -> Backbone:
    """Vision Transformer (Dosovitskiy et al. 2021) for 32 x 32 images: 4 x 4 patches (an 8 x 8
    grid, 64 tokens plus a CLS token), 7 pre-norm layers, width 384, 8 heads, MLP 1536, no
    dropout. Features are the CLS token after the encoder's final LayerNorm, 384-d.

    torchvision's forward is already patchify, prepend CLS, encoder (ending in LayerNorm),
    take token 0, heads; with `heads` emptied the body returns exactly that CLS token. The
    head keeps torchvision's zero init, so a fresh ViT outputs all-zero logits.
    """
    hidden = 8 * max(1, round(48 * width))  # a multiple of the 8 heads
    net = vision_transformer.VisionTransformer(image_size=32, patch_size=4, num_layers=7, num_heads=8,
                                               hidden_dim=hidden, mlp_dim=4 * hidden, num_classes=num_classes)
    head, net.heads = net.heads.head, nn.Identity()  # (B, 65, 384) -> (B, 384) is x[:, 0]
    return Backbone(net, net.hidden_dim, head)


class Arch(NamedTuple):
    """An architecture: how to build it, and what its training and scheduling need to know."""
    build: Callable  # (num_classes, width) -> Backbone
    # the paper's recipe (PROTOCOL.md section 4.1): Adam's weight decay, and whether the learning
    # rate warms up linearly and then decays by a cosine (the ViT's), instead of staying constant
    weight_decay: float = 0.0
    warmup_cosine: bool = False
    # CPU time of a training image relative to resnet18's at SCALE=small's widths (measured on a
    # 2-core CPU): only orders the runs of a sweep, longest first; a new architecture needs none
    cost: float = 1.0


MODELS = {  # --arch's choices, and E1's architecture factor, in this order
    "resnet18": Arch(resnet18),
    "resnet50": Arch(resnet50, cost=2.5),
    "densenet121": Arch(densenet121, cost=4.1),
    "vgg11": Arch(vgg11, cost=0.4),
    "vit": Arch(vit, weight_decay=5e-5, warmup_cosine=True, cost=4.5),
}


def build(arch: str, num_classes: int, width: float = 1.0) -> Backbone:
    """The paper's network for width 1; `width` scales every layer's channels (the ViT's width),
    which SCALE=small uses to make the whole study fit a laptop CPU."""
    if not isinstance(arch, str) or arch not in MODELS:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(MODELS)}")
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not (math.isfinite(width) and width > 0):
        raise ValueError(f"width must be a finite number above 0, got {width!r}")
    if round(64 * width) < 1:  # below it the narrowest layers would round to no channel (the floor of 8 hid it)
        raise ValueError(f"--width {width:g} is too narrow: the first layer would have {64 * width:.2g} of its 64 "
                         "channels (1/128 is the least)")
    return MODELS[arch].build(num_classes, width)


def parameter_count(arch: str, num_classes: int, width: float = 1.0) -> int:
    """How many parameters build() makes, counted on the meta device (no memory is taken), so that
    a network too large for the machine is refused before it is built."""
    try:
        with torch.device("meta"):
            return sum(p.numel() for p in build(arch, num_classes, width).parameters())
    except RuntimeError:  # a tensor past 2^63 elements: "Storage size calculation overflowed"
        raise ValueError(f"a {arch} of width {width:g} has too many parameters to count") from None


# ----------------------------------------------------------------------------------------
# How a backbone runs: one layout, input scaling and precision for every script.


def autocast(amp, cache=True):
    """bf16 autocast on CUDA if amp; cache=False inside a CUDA graph capture, which needs it off."""
    return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=cache) if amp else contextlib.nullcontext()


def channels_last(device, amp):
    """Whether to run in channels_last: alongside bf16 on CUDA, and on a CPU, where oneDNN's
    convolutions are 1.2-1.5x faster in it for SCALE=small's narrow networks. --no-amp on CUDA
    keeps plain fp32 NCHW, the baseline of bench.py."""
    return amp or torch.device(device).type == "cpu"


def to_device(model, device, amp):
    """model on device, in the layout channels_last() picks."""
    layout = torch.channels_last if channels_last(device, amp) else torch.preserve_format
    return model.to(device, memory_format=layout)


def to_input(x, amp=False):
    """uint8 images (B, 3, S, S) -> float in [-1, 1] (PROTOCOL.md section 1: mean 0.5, std 0.5), in the layout
    channels_last() picks."""
    x = (x.float() / 255 - 0.5) / 0.5
    return x.contiguous(memory_format=torch.channels_last) if channels_last(x.device, amp) else x


@torch.no_grad()
def extract_features(model, images, batch_size=None, amp=False):
    """Penultimate features (N, feature_dim) in float32 of uint8 images, model in eval mode.
    Inference only: the batch size just has to fill the GPU (default 2048) or, on a CPU, keep
    within the caches (default 256, twice as fast there as 2048); results do not depend on it."""
    model.eval()
    batch_size = batch_size or (2048 if images.is_cuda else 256)
    out = []
    for i in range(0, len(images), batch_size):
        with autocast(amp):
            out.append(model.features(to_input(images[i:i + batch_size], amp)).float())
    return torch.cat(out)
