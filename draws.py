"""What each seed draws: the transformation sets of E1 and the ordered lists of E2 (the
original's for seeds 0-9, SPEC section 5; further seeds drawn the same way), the split of the
objects into target and other classes, and E4's objects. Every draw is a pure function of the
seed, so a run plan is the same on any machine.

    python -c "import draws; print(draws.transform_sets(0), draws.nested_transforms(0))"
"""
import random

from cifar import CIFAR
from sources import N_OBJECTS
from transforms import CATEGORIES, TRANSFORMS

E2_DEPTH = 8  # transformations in E2's longest set


# SPEC E1: the original's draws for seeds 0-9, (T_same, T_diff)
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
    pairs = [rng.sample(names, 2) for names in CATEGORIES.values()]
    return ",".join(p[0] for p in pairs), ",".join(p[1] for p in pairs)


# SPEC E2: the original's ordered draws for seeds 0-9
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
    return random.Random(f"e2-{seed}").sample(TRANSFORMS, E2_DEPTH)


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
