"""PyTorch equivalents of the convlab models that bench/run_torch.py trains (NCHW, PyTorch's layout).

Each mirrors its convlab definition layer for layer (src/zoo and bench/run_convlab.ts), with Keras's
defaults where PyTorch's differ: BatchNormalization momentum 0.99 (PyTorch's momentum=0.01) and
epsilon 1e-3. `keras_param_count` counts parameters as Keras's summary does (BatchNormalization's
moving mean and variance included) so that the runner can check them against convlab's counts.
"""
import torch
import torch.nn.functional as F
from torch import nn


class RandomFlipShift(nn.Module):
    """convlab's RandomFlip('horizontal') then RandomTranslation(shift, shift, fillMode 'constant'):
    per sample, a left-right flip with probability 1/2 and a whole-pixel shift of up to
    floor(shift * size) in each direction, zeros filling the border; identity in eval mode."""

    def __init__(self, shift):
        super().__init__()
        self.shift = shift

    def forward(self, x):
        if not self.training:
            return x
        b, _, h, w = x.shape
        flip = torch.rand(b, device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        mh, mw = int(self.shift * h), int(self.shift * w)
        if mh == 0 and mw == 0:
            return x
        dy = torch.randint(-mh, mh + 1, (b,))
        dx = torch.randint(-mw, mw + 1, (b,))
        padded = F.pad(x, (mw, mw, mh, mh))
        rows = torch.arange(h)[None, :] + mh - dy[:, None]  # (b, h)
        cols = torch.arange(w)[None, :] + mw - dx[:, None]  # (b, w)
        bi = torch.arange(b)[:, None, None]
        # Advanced indexing over (batch, row, col) with the channel slice: result (b, h, w, c).
        return padded.permute(0, 2, 3, 1)[bi, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


def vgg(in_channels, shift):
    """src/zoo/recipes.ts vggStages: augmentation, conv(no bias)-BN-ReLU stages 32-64-128-256 with
    max pooling between them, global average pooling, Dense 10."""
    layers = [RandomFlipShift(shift)] if shift is not None else []
    c = in_channels
    for i, f in enumerate([32, 64, 128, 256]):
        layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), bn(f), nn.ReLU()]
        if i < 3:
            layers.append(nn.MaxPool2d(2))
        c = f
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10)]
    return nn.Sequential(*layers)


def cifar_cnn():
    """src/zoo/cifar.ts cifarCnn (keras/examples/cifar10_cnn.py)."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * 6 * 6, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))


def build(name):
    if name == "lab":
        return nn.Sequential(
            nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(980, 120), nn.ReLU(), nn.Linear(120, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "cifar-vgg":
        return vgg(3, 0.125)
    if name == "cifar-vgg-noaug":
        return vgg(3, None)
    if name == "fashion-vgg":
        return vgg(1, 0.0)
    if name == "cifar-cnn":
        return cifar_cnn()
    raise ValueError(f"unknown model {name!r}")


def keras_param_count(model):
    """Parameters as Keras's summary counts them: weights plus BatchNormalization's moving statistics."""
    params = sum(p.numel() for p in model.parameters())
    stats = sum(m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    return params + stats
