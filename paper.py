"""What comes from the paper and the original code: what each seed draws, and the reference numbers.

The draws: E1's transformation sets and E2's ordered lists (the original's for seeds 0-9, further
seeds drawn the same way, from the paper's 18 transformations only, so that registering a new one
changes no experiment), the split of the objects into target and other classes, and E4's objects.
Every draw is a pure function of the seed, so a run plan is the same on any machine.

REFERENCE is the one table of the paper's numbers: claims.py, tables.py, plots.py and the
paper-check read it, and PROTOCOL.md section 5 says where each comes from. Most were read off the
authors' figures and evaluation notebooks (about +-0.01): the shape to reproduce, not a target to
hit to the digit.

    python -c "import paper; print(paper.transform_sets(0), paper.nested_transforms(0))"
"""
import random

from cifar import CIFAR
from sources import N_OBJECTS

# the paper's 18 transformations by category, in its order (PROTOCOL.md section 2)
TRANSFORMS = {
    "geometric": ["translate", "rotate", "scale", "v_flip", "h_flip", "shear"],
    "photometric": ["hue", "brightness", "grayscale", "posterize", "invert", "sharpen"],
    "corruption": ["blur", "noise", "pixelate", "elastic", "erasing", "contrast"],
}
ALL_TRANSFORMS = [name for names in TRANSFORMS.values() for name in names]
E2_DEPTH = 8  # transformations in E2's longest set

# E1 (PROTOCOL.md section 5.1): the original's draws for seeds 0-9, (T_same, T_diff)
E1_SETS = {
    0: ("translate,invert,pixelate", "rotate,posterize,erasing"),
    1: ("translate,invert,pixelate", "scale,hue,elastic"),
    2: ("scale,brightness,contrast", "translate,posterize,noise"),
    3: ("h_flip,invert,blur", "v_flip,hue,pixelate"),
    4: ("v_flip,invert,contrast", "h_flip,hue,blur"),
    5: ("v_flip,invert,elastic", "shear,brightness,pixelate"),
    6: ("h_flip,posterize,noise", "translate,hue,erasing"),
    7: ("h_flip,grayscale,erasing", "shear,sharpen,noise"),
    8: ("translate,posterize,pixelate", "shear,sharpen,noise"),
    9: ("translate,invert,elastic", "scale,sharpen,contrast"),
}


def transform_sets(seed):
    """(T_same, T_diff) of a seed: the original's draws for seeds 0-9, further seeds drawn the
    same way (two distinct transformations per category, the first of each to T_same)."""
    if seed in E1_SETS:
        return E1_SETS[seed]
    rng = random.Random(seed)
    pairs = [rng.sample(names, 2) for names in TRANSFORMS.values()]
    return ",".join(p[0] for p in pairs), ",".join(p[1] for p in pairs)


# E2 (PROTOCOL.md section 5.3): the original's ordered draws for seeds 0-9
E2_ORDERS = {
    0: "grayscale,sharpen,hue,v_flip,posterize,noise,h_flip,translate",
    1: "brightness,sharpen,noise,pixelate,scale,rotate,h_flip,erasing",
    2: "sharpen,brightness,contrast,translate,blur,noise,shear,h_flip",
    3: "hue,grayscale,brightness,shear,invert,erasing,sharpen,posterize",
    4: "translate,hue,erasing,v_flip,h_flip,shear,rotate,noise",
    5: "v_flip,blur,erasing,pixelate,posterize,noise,sharpen,brightness",
    6: "noise,scale,brightness,hue,h_flip,elastic,pixelate,rotate",
    7: "posterize,v_flip,scale,contrast,erasing,brightness,sharpen,pixelate",
    8: "pixelate,rotate,erasing,hue,translate,shear,v_flip,invert",
    9: "blur,noise,v_flip,elastic,pixelate,hue,grayscale,h_flip",
}


def nested_transforms(seed):
    """E2's ordered draw of a seed: 8 distinct transformations, t_k the first k of them; the
    original's for seeds 0-9, further seeds drawn the same way."""
    if seed in E2_ORDERS:
        return E2_ORDERS[seed].split(",")
    return random.Random(f"e2-{seed}").sample(ALL_TRANSFORMS, E2_DEPTH)


def class_split(seed, dataset="t2d"):
    """A seeded permutation of the classes: 30 target and 30 other objects for Transforms-2D,
    half and half of CIFAR's classes."""
    if dataset == "t2d":
        perm = random.Random(f"classes-{seed}").sample(range(N_OBJECTS), 60)
    else:
        perm = random.Random(f"{dataset}-classes-{seed}").sample(range(CIFAR[dataset][4]), CIFAR[dataset][4])
    half = len(perm) // 2
    return perm[:half], perm[half:]


def e4_objects(seed):
    """The 10 objects of a seed's E4 tasks, a seeded draw as the original's."""
    return random.Random(f"e4-objects-{seed}").sample(range(N_OBJECTS), 10)


# ----------------------------------------------------------------------------------------
# The paper's numbers. Accuracies are held-out test accuracies of linear probes unless said
# otherwise; invariances are the normalised L2 distance of PROTOCOL.md section 4.4 (0 = invariant).

REFERENCE = {
    "e1": {  # Figures 2 and 3, Transforms-2D
        "same": (0.97, 0.99), "different": (0.83, 0.87),  # transfer accuracy over the factors' values
        "default_point": (0.98, 0.85),  # same, different at resnet18 and disjoint classes: the ranges' middles
        # the same-minus-different gap, and the span of the different models' accuracy over the values
        "gap": {"class_relationship": 0.12, "architecture": 0.12, "pretraining_samples": 0.15},
        "span_different": {"class_relationship": 0.15, "architecture": 0.07, "pretraining_samples": 0.03},
        # the claims across factors, (a, b) of "a < b" or "a >= b"
        "superset_different_vs_subset_same": (0.92, 0.95),
        "most_samples_different_vs_fewest_same": (0.84, 0.95),  # 500k pretraining samples against 1k
        "fewest_target_same_vs_most_target_different": (0.82, 0.82),  # 50 target samples against 5,000
        "cifar10": (0.91, 0.67), "cifar100": (0.81, 0.40),  # same, different
    },
    "e1_ft": {  # the appendix: full fine-tuning; the gap per number of target samples
        "gap": {200: {"class_relationship": 0.14, "architecture": 0.15, "pretraining_samples": 0.14},
                2000: {"class_relationship": 0.04, "architecture": 0.03, "pretraining_samples": 0.04}},
        "default_point_200": (0.95, 0.80),  # same, different with 200 target samples
    },
    "e2": {  # Figure 4: the models pretrained on t_k probed on t_j; about 1.0 whenever j <= k
        "seen": 1.0,
        "k1_on_last": {"resnet18": 0.28, "vit": 0.20}, "last_on_last": {"resnet18": 0.98},
    },
    "e3": {  # the "how transferable" table, resnet18 trained on objects: row -> column -> invariance
        row: dict(zip(("train", "objects", "random", "cifar10", "cifar100"), values)) for row, values in (
            ("same", (0.12, 0.21, 0.56, 0.37, 0.35)), ("other", (0.40, 0.41, 0.69, 0.51, 0.50)),
            ("none", (0.39, 0.42, 0.69, 0.48, 0.48)))},
    # the "invariance can hurt" table: (placement, pretraining task, column, value). "The object
    # task" is the composite with the object label (C+O&O); "CIFAR" is plain CIFAR-10 (the C&C column).
    "e4": [("fixed", "C+O&C", "C+O&O", 0.53), ("fixed", "C&C", "C+O&O", 0.80),
           ("translated", "C+O&C", "C+O&O", 0.15), ("translated", "C&C", "C+O&O", 0.56),
           ("fixed", "C+O&O", "C&C", 0.31), ("fixed", "C+O&O", "C+O&C", 0.24),
           ("fixed", "C+O&C", "object", 0.08), ("fixed", "C&C", "object", 0.21)],
}


def summary(target):
    """The paper's numbers for a figure whose own table does not print them all, in one sentence."""
    e1, ft, e2 = REFERENCE["e1"], REFERENCE["e1_ft"], REFERENCE["e2"]
    gaps = lambda d: " / ".join(f"{v:.2f}" for v in d.values())
    if target == "fig2":
        return (f"Transforms-2D, linear probe: same {e1['same'][0]:.2f}-{e1['same'][1]:.2f} vs different "
                f"{e1['different'][0]:.2f}-{e1['different'][1]:.2f}; gap same - different {gaps(e1['gap'])} for "
                f"class relationship / architecture / pretraining samples, while the different models' spans are "
                f"{gaps(e1['span_different'])}. CIFAR-10 same {e1['cifar10'][0]:.2f} vs different "
                f"{e1['cifar10'][1]:.2f}; CIFAR-100 {e1['cifar100'][0]:.2f} vs {e1['cifar100'][1]:.2f}.")
    if target == "fig2-finetune":
        (few, a), (many, b) = ft["gap"].items()
        return (f"Full fine-tuning on Transforms-2D: with {few:,} target samples the same-minus-different gap is "
                f"{gaps(a)} (class relationship / architecture / pretraining samples), with {many:,} it is "
                f"{gaps(b)}; same stays ahead everywhere. At the default point with {few:,} samples: same "
                f"{ft['default_point_200'][0]:.2f}, different {ft['default_point_200'][1]:.2f}.")
    if target == "fig4":
        return (f"About {e2['seen']:.1f} whenever j <= k, falling with every unseen transformation; resnet18 k = 1 "
                f"probed on j = 8: {e2['k1_on_last']['resnet18']:.2f}, k = 8 on j = 8: "
                f"{e2['last_on_last']['resnet18']:.2f}; the ViT falls furthest ({e2['k1_on_last']['vit']:.2f}).")
    return None
