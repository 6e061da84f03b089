"""PyTorch twins of convbench's networks, layer by layer as the TF 1 seed code writes them.

Networks: alexnet-conv (seed 000), alexnet (seed 003), vgg16 (seed 002), inception3 (seed 001)
and resnet50 / resnet101 / resnet152 / resnet200 (ResNet v2, seed 004).

Parameter and buffer names are TensorFlow's, as convbench names them: every module attribute is
the TF scope, every parameter is called by its TF leaf name (weights, biases, gamma, beta,
moving_mean, moving_variance), so tf_name() of a torch name is the net's root scope plus the
dotted path with "/" for ".": resnet_v2_50/block1/unit_1/bottleneck_v2/preact/gamma. Layouts are
convbench's and PyTorch's: conv weights (out, in, kh, kw), dense weights (out, in), flatten in
NCHW order.

TensorFlow semantics kept here (see REFERENCE.md in the shared project documents):
- SAME padding, asymmetric when the total is odd (extra cell after): a symmetric pad goes to the
  convolution itself, an asymmetric one is an explicit F.pad before a padding=0 convolution.
- SAME max pooling pads with -inf; SAME average pooling leaves padded cells out of the divisor.
- tf.nn.lrn(depth_radius r, alpha): torch's local_response_norm divides alpha by the window, so it
  gets size 2r+1 and alpha * (2r+1).
- slim.batch_norm: moving = decay * moving + (1 - decay) * batch, so torch momentum = 1 - decay.
- vgg16's fc8 goes through a relu, as the seed's fc_op does.

Run `python3 torch_nets.py --self-test` to check shapes, parameter counts and MACs against
REFERENCE.md and the padding shortcuts against their plain definitions.
"""

import math
import sys

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the interpreter
    if __name__ == "__main__":
        sys.exit("torch is not importable by %s; run this script with /usr/bin/python3 "
                 "(Debian's python3-torch)." % sys.executable)
    raise


# ---------------------------------------------------------------------------------------------
# TensorFlow padding arithmetic
# ---------------------------------------------------------------------------------------------

def same_pads(size, k, s):
    """TF SAME padding of one axis: (before, after); after gets the odd cell."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def same_out(size, k, s):
    return -(-size // s)


def valid_out(size, k, s):
    return (size - k) // s + 1


def _torch_pool_out(size, k, s, p, ceil_mode):
    """Output size of torch's pooling (including its rule that the last window starts in range)."""
    num = size + 2 * p - k
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


# ---------------------------------------------------------------------------------------------
# Initialisers (the seeds'; values do not matter for timing, but must be finite and not denormal)
# ---------------------------------------------------------------------------------------------

def trunc_normal_(t, std):
    """tf.truncated_normal: normal(0, std) redrawn outside two standard deviations."""
    with torch.no_grad():
        t.normal_(0.0, std)
        while True:
            bad = t.abs() > 2 * std
            n = int(bad.sum())
            if n == 0:
                return t
            t[bad] = torch.empty(n).normal_(0.0, std)


def _fans(shape):
    if len(shape) == 2:  # dense (out, in)
        return shape[1], shape[0]
    rf = shape[2] * shape[3]  # conv (out, in, kh, kw)
    return shape[1] * rf, shape[0] * rf


def xavier_(t):
    """tf.contrib.layers.xavier_initializer(_conv2d): uniform, limit sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tuple(t.shape))
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return t.uniform_(-limit, limit)


def variance_scaling_(t):
    """slim.variance_scaling_initializer(): factor 2, FAN_IN, truncated normal (stddev sqrt(1.3*2/fan_in))."""
    fan_in, _ = _fans(tuple(t.shape))
    return trunc_normal_(t, math.sqrt(1.3 * 2.0 / fan_in))


def init_trunc(std):
    return lambda t: trunc_normal_(t, std)


# ---------------------------------------------------------------------------------------------
# Layers. Attribute names are TF scopes, parameter names TF leaf names.
# ---------------------------------------------------------------------------------------------

class BatchNorm(nn.Module):
    """slim.batch_norm: beta, gamma (only with scale), moving_mean, moving_variance; optional relu."""

    def __init__(self, channels, scale, eps, decay, relu=False):
        super().__init__()
        self.eps = eps
        self.momentum = 1.0 - decay
        self.relu = relu
        self.beta = nn.Parameter(torch.zeros(channels))
        if scale:
            self.gamma = nn.Parameter(torch.ones(channels))
        else:
            self.gamma = None
        self.register_buffer("moving_mean", torch.zeros(channels))
        self.register_buffer("moving_variance", torch.ones(channels))

    def forward(self, x):
        y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                         self.training, self.momentum, self.eps)
        return F.relu(y, inplace=True) if self.relu else y


class Conv(nn.Module):
    """slim.conv2d / tf.nn.conv2d + bias_add (+ batch norm) (+ relu) with TF SAME or VALID padding.

    With bn (a dict of BatchNorm arguments): no bias, a child called BatchNorm, as slim names it.
    pad: an explicit symmetric tf.pad before a VALID convolution (ResNet's conv2d_same).
    """

    def __init__(self, cin, cout, kh, kw, stride=1, padding="SAME", relu=True, bn=None,
                 init=xavier_, bias_init=0.0, pad=0):
        super().__init__()
        self.k = (kh, kw)
        self.stride = stride
        self.padding = padding
        self.pad = pad
        self.relu = relu
        self.weights = nn.Parameter(init(torch.empty(cout, cin, kh, kw)))
        if bn is None:
            self.biases = nn.Parameter(torch.full((cout,), float(bias_init)))
            self.BatchNorm = None
        else:
            self.biases = None
            self.BatchNorm = BatchNorm(cout, relu=relu, **bn)

    def _pads(self, h, w):
        if self.padding == "VALID":
            return (self.pad, self.pad), (self.pad, self.pad)
        return same_pads(h, self.k[0], self.stride), same_pads(w, self.k[1], self.stride)

    def forward(self, x):
        (pt, pb), (pl, pr) = self._pads(x.shape[2], x.shape[3])
        if pt == pb and pl == pr:
            y = F.conv2d(x, self.weights, self.biases, self.stride, (pt, pl))
        else:
            y = F.conv2d(F.pad(x, (pl, pr, pt, pb)), self.weights, self.biases, self.stride, 0)
        if self.BatchNorm is not None:
            return self.BatchNorm(y)  # relu fused into the BatchNorm module
        return F.relu(y, inplace=True) if self.relu else y


class Dense(nn.Module):
    """A fully connected layer (tf.layers.dense / tf.nn.relu_layer): weights (out, in), biases."""

    def __init__(self, cin, cout, relu=True, init=xavier_, bias_init=0.0):
        super().__init__()
        self.relu = relu
        self.weights = nn.Parameter(init(torch.empty(cout, cin)))
        self.biases = nn.Parameter(torch.full((cout,), float(bias_init)))

    def forward(self, x):
        y = F.linear(x, self.weights, self.biases)
        return F.relu(y, inplace=True) if self.relu else y


def _pool_args(h, w, k, s, padding):
    """(pads, torch padding, ceil_mode) for a TF pool; pads None when torch's own padding fits."""
    if padding == "VALID":
        return None, (0, 0), False
    (pt, pb), (pl, pr) = same_pads(h, k[0], s), same_pads(w, k[1], s)
    if pt == pb and pl == pr and pt <= k[0] // 2 and pl <= k[1] // 2:
        return None, (pt, pl), False
    # Extra cells only after: torch's ceil_mode with padding=before gives the same windows when it
    # gives the same number of them (its implicit right padding is -inf / left out of the count).
    if (pt <= k[0] // 2 and pl <= k[1] // 2
            and _torch_pool_out(h, k[0], s, pt, True) == same_out(h, k[0], s)
            and _torch_pool_out(w, k[1], s, pl, True) == same_out(w, k[1], s)
            and pb >= pt and pr >= pl):
        return None, (pt, pl), True
    return (pl, pr, pt, pb), (0, 0), False


def max_pool(x, k, s, padding):
    """tf.nn.max_pool: SAME pads with -inf."""
    pads, p, ceil = _pool_args(x.shape[2], x.shape[3], k, s, padding)
    if pads is not None:
        x = F.pad(x, pads, value=float("-inf"))
    return F.max_pool2d(x, k, s, p, ceil_mode=ceil)


def avg_pool(x, k, s, padding):
    """slim.avg_pool2d: SAME leaves padded cells out of the divisor."""
    pads, p, ceil = _pool_args(x.shape[2], x.shape[3], k, s, padding)
    if pads is None:
        return F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=False)
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    total = F.avg_pool2d(F.pad(x, pads), k, s, 0, divisor_override=1)
    count = F.avg_pool2d(F.pad(ones, pads), k, s, 0, divisor_override=1)
    return total / count


def max_pool_reference(x, k, s, padding):
    """Plain definition (explicit -inf pad) for the self-test."""
    if padding == "SAME":
        (pt, pb), (pl, pr) = same_pads(x.shape[2], k[0], s), same_pads(x.shape[3], k[1], s)
        x = F.pad(x, (pl, pr, pt, pb), value=float("-inf"))
    return F.max_pool2d(x, k, s)


def avg_pool_reference(x, k, s, padding):
    if padding == "VALID":
        return F.avg_pool2d(x, k, s)
    (pt, pb), (pl, pr) = same_pads(x.shape[2], k[0], s), same_pads(x.shape[3], k[1], s)
    ones = torch.ones_like(x)
    total = F.avg_pool2d(F.pad(x, (pl, pr, pt, pb)), k, s, divisor_override=1)
    count = F.avg_pool2d(F.pad(ones, (pl, pr, pt, pb)), k, s, divisor_override=1)
    return total / count


def lrn(x, depth_radius, bias, alpha, beta):
    """tf.nn.lrn: x / (bias + alpha * sum_{c-r..c+r} x^2)^beta."""
    n = 2 * depth_radius + 1
    return F.local_response_norm(x, n, alpha * n, beta, bias)


def lrn_reference(x, depth_radius, bias, alpha, beta):
    sq = F.pad(x * x, (0, 0, 0, 0, depth_radius, depth_radius))
    c = x.shape[1]
    s = sum(sq[:, i:i + c] for i in range(2 * depth_radius + 1))
    return x / (bias + alpha * s) ** beta


def dropout(x, keep, training, enabled):
    if not (training and enabled) or keep >= 1.0:
        return x
    return F.dropout(x, 1.0 - keep, True)


def l2_loss(t):
    """tf.nn.l2_loss: 0.5 * sum(t^2)."""
    return 0.5 * (t * t).sum()


# ---------------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------------

class Net(nn.Module):
    """Base: a root scope for TF names, dropout switch, output(s)."""

    root = ""
    default_image_size = 224
    has_aux = False

    def __init__(self):
        super().__init__()
        self.dropout_enabled = True  # check_dump turns it off ("training mode, dropout off")

    def tf_name(self, torch_name):
        name = torch_name.replace(".", "/")
        return self.root + "/" + name if self.root else name

    def tf_parameters(self):
        """{tf name: parameter} of every trainable parameter, in definition order."""
        return {self.tf_name(n): p for n, p in self.named_parameters()}

    def tf_buffers(self):
        """{tf name: buffer}: the batch-norm moving statistics."""
        return {self.tf_name(n): b for n, b in self.named_buffers()}

    def objective(self, out):
        """The seeds' forward-backward objective: l2_loss of each output."""
        if isinstance(out, tuple):
            return sum(l2_loss(o) for o in out)
        return l2_loss(out)


class AlexNetConv(Net):
    """Seed 000: conv1..conv5 with LRN (r 4, alpha 0.001/9) and 3x3/2 VALID max pools; output pool5."""

    def __init__(self, image_size=224, classes=1000):
        super().__init__()
        ini = init_trunc(0.1)
        self.conv1 = Conv(3, 64, 11, 11, stride=4, init=ini)
        self.conv2 = Conv(64, 192, 5, 5, init=ini)
        self.conv3 = Conv(192, 384, 3, 3, init=ini)
        self.conv4 = Conv(384, 256, 3, 3, init=ini)
        self.conv5 = Conv(256, 256, 3, 3, init=ini)

    def forward(self, x):
        x = self.conv1(x)
        x = max_pool(lrn(x, 4, 1.0, 0.001 / 9, 0.75), (3, 3), 2, "VALID")
        x = self.conv2(x)
        x = max_pool(lrn(x, 4, 1.0, 0.001 / 9, 0.75), (3, 3), 2, "VALID")
        x = self.conv5(self.conv4(self.conv3(x)))
        return max_pool(x, (3, 3), 2, "VALID")


def _alexnet_flat(size):
    s = same_out(size, 11, 4)
    s = valid_out(s, 3, 2)
    s = valid_out(s, 3, 2)
    s = valid_out(s, 3, 2)
    return s


class AlexNet(Net):
    """Seed 003: 96-256-384-384-256 with LRN (r 5, alpha 0.0001/5), dense 4096-4096-classes."""

    def __init__(self, image_size=224, classes=1000):
        super().__init__()
        ini = init_trunc(0.1)
        self.conv_1 = Conv(3, 96, 11, 11, stride=4, init=ini)
        self.conv_2 = Conv(96, 256, 5, 5, init=ini)
        self.conv_3 = Conv(256, 384, 3, 3, init=ini)
        self.conv_4 = Conv(384, 384, 3, 3, init=ini)
        self.conv_5 = Conv(384, 256, 3, 3, init=ini)
        s = _alexnet_flat(image_size)
        self.dense_1 = Dense(256 * s * s, 4096, init=ini)
        self.dense_2 = Dense(4096, 4096, init=ini)
        self.logits_layer = Dense(4096, classes, relu=False, init=ini)

    def forward(self, x):
        x = self.conv_1(x)
        x = max_pool(lrn(x, 5, 1.0, 0.0001 / 5.0, 0.75), (3, 3), 2, "VALID")
        x = self.conv_2(x)
        x = max_pool(lrn(x, 5, 1.0, 0.0001 / 5.0, 0.75), (3, 3), 2, "VALID")
        x = self.conv_5(self.conv_4(self.conv_3(x)))
        x = max_pool(x, (3, 3), 2, "VALID")
        x = torch.flatten(x, 1)
        return self.logits_layer(self.dense_2(self.dense_1(x)))


class Vgg16(Net):
    """Seed 002: 13 conv 3x3 SAME + relu, 2x2/2 SAME max pools, fc6/fc7 (dropout) and fc8, all relu."""

    KEEP_PROB = 0.5
    GROUPS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]

    def __init__(self, image_size=224, classes=1000):
        super().__init__()
        cin, s = 3, image_size
        for g, (cout, n) in enumerate(self.GROUPS, 1):
            for i in range(1, n + 1):
                self.add_module("conv%d_%d" % (g, i), Conv(cin, cout, 3, 3))
                cin = cout
            s = same_out(s, 2, 2)
        self.fc6 = Dense(512 * s * s, 4096, bias_init=0.1)
        self.fc7 = Dense(4096, 4096, bias_init=0.1)
        self.fc8 = Dense(4096, classes, bias_init=0.1)  # relu too, as the seed's fc_op

    def forward(self, x):
        for g, (_, n) in enumerate(self.GROUPS, 1):
            for i in range(1, n + 1):
                x = getattr(self, "conv%d_%d" % (g, i))(x)
            x = max_pool(x, (2, 2), 2, "SAME")
        x = torch.flatten(x, 1)
        x = dropout(self.fc6(x), self.KEEP_PROB, self.training, self.dropout_enabled)
        x = dropout(self.fc7(x), self.KEEP_PROB, self.training, self.dropout_enabled)
        return self.fc8(x)


# ---- ResNet v2 (seed 004) ----

RESNET_BN = dict(scale=True, eps=1e-5, decay=0.997)
RESNET_UNITS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}


class Bottleneck(nn.Module):
    """bottleneck_v2: preact = relu(bn(x)); shortcut = subsample(x) or 1x1 conv(preact) with bias;
    residual = 1x1 (bn relu) -> 3x3 stride s (bn relu; explicit pad 1 + VALID when s > 1) -> 1x1 with bias."""

    def __init__(self, cin, depth, bottleneck, stride):
        super().__init__()
        self.stride = stride
        vs = variance_scaling_
        self.preact = BatchNorm(cin, relu=True, **RESNET_BN)
        self.shortcut = None if depth == cin else Conv(cin, depth, 1, 1, stride=stride, relu=False, init=vs)
        self.conv1 = Conv(cin, bottleneck, 1, 1, bn=RESNET_BN, init=vs)
        if stride == 1:
            self.conv2 = Conv(bottleneck, bottleneck, 3, 3, bn=RESNET_BN, init=vs)
        else:
            self.conv2 = Conv(bottleneck, bottleneck, 3, 3, stride=stride, padding="VALID", pad=1,
                              bn=RESNET_BN, init=vs)
        self.conv3 = Conv(bottleneck, depth, 1, 1, relu=False, init=vs)

    def forward(self, x):
        preact = self.preact(x)
        if self.shortcut is None:
            shortcut = x if self.stride == 1 else x[:, :, ::self.stride, ::self.stride]
        else:
            shortcut = self.shortcut(preact)
        residual = self.conv3(self.conv2(self.conv1(preact)))
        return residual.add_(shortcut)  # conv3's output is not needed by its backward


class ResNetV2(Net):
    """resnet_v2_<depth>: root (pad 3, 7x7/2 conv with bias, 3x3/2 SAME max pool), blocks1-4 with the
    stride-2 unit last in blocks 1-3, postnorm (bn relu), global average pool, 1x1 logits conv; (N, classes)."""

    def __init__(self, depth=50, image_size=224, classes=1000):
        super().__init__()
        self.root = "resnet_v2_%d" % depth
        vs = variance_scaling_
        self.conv1 = Conv(3, 64, 7, 7, stride=2, padding="VALID", pad=3, relu=False, init=vs)
        cin = 64
        for b, n in enumerate(RESNET_UNITS[depth], 1):
            block = nn.Module()
            d = 64 * 2 ** (b - 1)
            for u in range(1, n + 1):
                stride = 2 if (u == n and b < 4) else 1
                unit = nn.Module()
                unit.bottleneck_v2 = Bottleneck(cin, 4 * d, d, stride)
                block.add_module("unit_%d" % u, unit)
                cin = 4 * d
            self.add_module("block%d" % b, block)
        self.postnorm = BatchNorm(cin, relu=True, **RESNET_BN)
        self.logits = Conv(cin, classes, 1, 1, relu=False, init=vs)

    def forward(self, x):
        x = max_pool(self.conv1(x), (3, 3), 2, "SAME")
        for b in range(1, 5):
            for unit in getattr(self, "block%d" % b).children():
                x = unit.bottleneck_v2(x)
        x = self.postnorm(x)
        x = x.mean((2, 3), keepdim=True)
        return torch.flatten(self.logits(x), 1)


# ---- Inception v3 (seed 001) ----

INCEPTION_BN = dict(scale=False, eps=0.001, decay=0.9997)


class Branches(nn.Module):
    """An Inception module: children Branch_0.. each a list of (scope, layer or pool) applied in order."""

    def forward(self, x):
        outs = []
        for branch in self.children():
            y = x
            for _, step in branch.seq:
                y = step(y)
            outs.append(y)
        return torch.cat(outs, 1)


class _Branch(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.seq = []
        for name, step in steps:
            if isinstance(step, nn.Module):
                self.add_module(name, step)
            self.seq.append((name, step))


class _Split(nn.Module):
    """tf.concat([conv_a(x), conv_b(x)], 3) inside Mixed_7b/7c (two convs in the branch's scope)."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 1)


class InceptionV3(Net):
    """TF-slim inception_v3 with the auxiliary head; batch norm without gamma, eps 0.001, decay 0.9997.
    Outputs (logits, aux_logits), both (N, classes) at 299."""

    root = "InceptionV3"
    default_image_size = 299
    has_aux = True
    KEEP_PROB = 0.8

    def _c(self, cin, cout, kh, kw, stride=1, padding="SAME", std=0.1):
        return Conv(cin, cout, kh, kw, stride, padding, bn=INCEPTION_BN, init=init_trunc(std))

    def __init__(self, image_size=299, classes=1000):
        super().__init__()
        c = self._c
        self.Conv2d_1a_3x3 = c(3, 32, 3, 3, 2, "VALID")
        self.Conv2d_2a_3x3 = c(32, 32, 3, 3, 1, "VALID")
        self.Conv2d_2b_3x3 = c(32, 64, 3, 3, 1, "SAME")
        self.Conv2d_3b_1x1 = c(64, 80, 1, 1, 1, "VALID")
        self.Conv2d_4a_3x3 = c(80, 192, 3, 3, 1, "VALID")
        self.Mixed_5b = self._mixed5(192, 32, "Conv2d_0a_1x1", "Conv2d_0b_5x5")
        self.Mixed_5c = self._mixed5(256, 64, "Conv2d_0b_1x1", "Conv_1_0c_5x5")
        self.Mixed_5d = self._mixed5(288, 64, "Conv2d_0a_1x1", "Conv2d_0b_5x5")
        self.Mixed_6a = self._mixed6a(288)
        self.Mixed_6b = self._mixed6(768, 128)
        self.Mixed_6c = self._mixed6(768, 160)
        self.Mixed_6d = self._mixed6(768, 160)
        self.Mixed_6e = self._mixed6(768, 192)
        self.Mixed_7a = self._mixed7a(768)
        self.Mixed_7b = self._mixed7(1280, "Conv2d_0b_3x1")
        self.Mixed_7c = self._mixed7(2048, "Conv2d_0c_3x1")
        # sizes for the heads' kernels (slim's _reduced_kernel_size_for_small_input, as convbench)
        s = valid_out(image_size, 3, 2)
        s = valid_out(s, 3, 1)
        s = valid_out(valid_out(s, 3, 2), 1, 1)
        s = valid_out(valid_out(s, 3, 1), 3, 2)   # 35 at 299
        s6 = valid_out(s, 3, 2)                   # 17
        s7 = valid_out(s6, 3, 2)                  # 8
        self.aux_k = min(5, s6)
        s_aux = valid_out(s6, self.aux_k, 3)
        k2 = min(5, s_aux)
        self.final_k = min(8, s7)
        aux = nn.Module()
        aux.Conv2d_1b_1x1 = c(768, 128, 1, 1)
        aux.add_module("Conv2d_2a_%dx%d" % (k2, k2), c(128, 768, k2, k2, 1, "VALID", std=0.01))
        aux.Conv2d_2b_1x1 = Conv(768, classes, 1, 1, relu=False, init=init_trunc(0.001))
        self.AuxLogits = aux
        logits = nn.Module()
        logits.Conv2d_1c_1x1 = Conv(2048, classes, 1, 1, relu=False, init=init_trunc(0.1))
        self.Logits = logits

    def _branches(self, *branches):
        m = Branches()
        for i, steps in enumerate(branches):
            m.add_module("Branch_%d" % i, _Branch(steps))
        return m

    @staticmethod
    def _avg3(x):
        return avg_pool(x, (3, 3), 1, "SAME")

    @staticmethod
    def _max3s2(x):
        return max_pool(x, (3, 3), 2, "VALID")

    def _mixed5(self, cin, pool_depth, b1_first, b1_second):
        c = self._c
        return self._branches(
            [("Conv2d_0a_1x1", c(cin, 64, 1, 1))],
            [(b1_first, c(cin, 48, 1, 1)), (b1_second, c(48, 64, 5, 5))],
            [("Conv2d_0a_1x1", c(cin, 64, 1, 1)), ("Conv2d_0b_3x3", c(64, 96, 3, 3)),
             ("Conv2d_0c_3x3", c(96, 96, 3, 3))],
            [("AvgPool_0a_3x3", self._avg3), ("Conv2d_0b_1x1", c(cin, pool_depth, 1, 1))])

    def _mixed6a(self, cin):
        c = self._c
        return self._branches(
            [("Conv2d_1a_1x1", c(cin, 384, 3, 3, 2, "VALID"))],
            [("Conv2d_0a_1x1", c(cin, 64, 1, 1)), ("Conv2d_0b_3x3", c(64, 96, 3, 3)),
             ("Conv2d_1a_1x1", c(96, 96, 3, 3, 2, "VALID"))],
            [("MaxPool_1a_3x3", self._max3s2)])

    def _mixed6(self, cin, d):
        c = self._c
        return self._branches(
            [("Conv2d_0a_1x1", c(cin, 192, 1, 1))],
            [("Conv2d_0a_1x1", c(cin, d, 1, 1)), ("Conv2d_0b_1x7", c(d, d, 1, 7)),
             ("Conv2d_0c_7x1", c(d, 192, 7, 1))],
            [("Conv2d_0a_1x1", c(cin, d, 1, 1)), ("Conv2d_0b_7x1", c(d, d, 7, 1)),
             ("Conv2d_0c_1x7", c(d, d, 1, 7)), ("Conv2d_0d_7x1", c(d, d, 7, 1)),
             ("Conv2d_0e_1x7", c(d, 192, 1, 7))],
            [("AvgPool_0a_3x3", self._avg3), ("Conv2d_0b_1x1", c(cin, 192, 1, 1))])

    def _mixed7a(self, cin):
        c = self._c
        return self._branches(
            [("Conv2d_0a_1x1", c(cin, 192, 1, 1)), ("Conv2d_1a_3x3", c(192, 320, 3, 3, 2, "VALID"))],
            [("Conv2d_0a_1x1", c(cin, 192, 1, 1)), ("Conv2d_0b_1x7", c(192, 192, 1, 7)),
             ("Conv2d_0c_7x1", c(192, 192, 7, 1)), ("Conv2d_1a_3x3", c(192, 192, 3, 3, 2, "VALID"))],
            [("MaxPool_1a_3x3", self._max3s2)])

    def _mixed7(self, cin, b1_second):
        c = self._c
        m = self._branches(
            [("Conv2d_0a_1x1", c(cin, 320, 1, 1))],
            [("Conv2d_0a_1x1", c(cin, 384, 1, 1))],
            [("Conv2d_0a_1x1", c(cin, 448, 1, 1)), ("Conv2d_0b_3x3", c(448, 384, 3, 3))],
            [("AvgPool_0a_3x3", self._avg3), ("Conv2d_0b_1x1", c(cin, 192, 1, 1))])
        # The split convs live directly in the branch scope (Branch_1/Conv2d_0b_1x3, ...).
        for bname, (na, ka), (nb, kb) in (("Branch_1", ("Conv2d_0b_1x3", (1, 3)), (b1_second, (3, 1))),
                                          ("Branch_2", ("Conv2d_0c_1x3", (1, 3)), ("Conv2d_0d_3x1", (3, 1)))):
            br = getattr(m, bname)
            a, b = c(384, 384, *ka), c(384, 384, *kb)
            br.add_module(na, a)
            br.add_module(nb, b)
            br.seq.append(("concat", _Split(a, b)))
        return m

    def forward(self, x):
        x = self.Conv2d_1a_3x3(x)
        x = self.Conv2d_2a_3x3(x)
        x = self.Conv2d_2b_3x3(x)
        x = max_pool(x, (3, 3), 2, "VALID")
        x = self.Conv2d_3b_1x1(x)
        x = self.Conv2d_4a_3x3(x)
        x = max_pool(x, (3, 3), 2, "VALID")
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d"):
            x = getattr(self, name)(x)
        x = self.Mixed_6e(x)
        aux = avg_pool(x, (self.aux_k, self.aux_k), 3, "VALID")
        for m in self.AuxLogits.children():
            aux = m(aux)
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        x = avg_pool(x, (self.final_k, self.final_k), 2, "VALID")
        x = dropout(x, self.KEEP_PROB, self.training, self.dropout_enabled)
        x = self.Logits.Conv2d_1c_1x1(x)
        # tf.squeeze of the 1x1 logits (convbench squeezes only when they are 1x1)
        if x.shape[2] == 1 and x.shape[3] == 1:
            x = torch.flatten(x, 1)
        if aux.shape[2] == 1 and aux.shape[3] == 1:
            aux = torch.flatten(aux, 1)
        return x, aux


# ---------------------------------------------------------------------------------------------
# Registry and facts (REFERENCE.md)
# ---------------------------------------------------------------------------------------------

NETS = {
    "alexnet-conv": AlexNetConv,
    "alexnet": AlexNet,
    "vgg16": Vgg16,
    "inception3": InceptionV3,
    "resnet50": lambda image_size=224, classes=1000: ResNetV2(50, image_size, classes),
    "resnet101": lambda image_size=224, classes=1000: ResNetV2(101, image_size, classes),
    "resnet152": lambda image_size=224, classes=1000: ResNetV2(152, image_size, classes),
    "resnet200": lambda image_size=224, classes=1000: ResNetV2(200, image_size, classes),
}

# name: (image size, trainable params, moving statistics, GMACs per image, output shape per image)
REFERENCE = {
    "alexnet": (224, 62378344, 0, 1.139, [(1000,)]),
    "alexnet-conv": (224, 2469696, 0, 0.658, [(256, 6, 6)]),
    "vgg16": (224, 138357544, 0, 15.47, [(1000,)]),
    "inception3": (299, 27143152, 36224, 5.719, [(1000,), (1000,)]),
    "resnet50": (224, 25568360, 45440, 3.482, [(1000,)]),
    "resnet101": (224, 44577896, 97664, 7.194, [(1000,)]),
    "resnet152": (224, 60236904, 143744, 10.907, [(1000,)]),
    "resnet200": (224, 64726120, 168320, 14.401, [(1000,)]),
}


def default_image_size(net):
    return REFERENCE[net][0] if net in REFERENCE else 224


def build(net, image_size=None, classes=1000, seed=0):
    """A model of the named net with the seeds' initialisation (deterministic in seed)."""
    if net not in NETS:
        raise ValueError("unknown net '%s'; known: %s" % (net, ", ".join(NETS)))
    torch.manual_seed(seed)
    return NETS[net](image_size=image_size or default_image_size(net), classes=classes)


def make_input(net, batch, image_size=None, seed=1, dtype=torch.float32):
    """Seed-style input: normal(0, 0.1) for alexnet/vgg (seeds 000, 002), uniform [0, 1) otherwise."""
    size = image_size or default_image_size(net)
    g = torch.Generator().manual_seed(seed)
    if net in ("alexnet-conv", "alexnet", "vgg16"):
        return torch.empty(batch, 3, size, size, dtype=dtype).normal_(0.0, 0.1, generator=g)
    return torch.rand(batch, 3, size, size, generator=g, dtype=dtype)


def count_macs(model, x):
    """Multiply-accumulates of conv and dense layers for the whole batch of x (forward, no_grad)."""
    total = [0]

    def conv_hook(m, inp, out):
        w = m.weights
        if w.dim() == 4:
            total[0] += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        else:
            total[0] += out.numel() * w.shape[1]

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, (Conv, Dense))]
    try:
        was = model.training
        model.eval()
        with torch.no_grad():
            model(x)
        model.train(was)
    finally:
        for h in hooks:
            h.remove()
    return total[0]


def gmacs_per_image(net, image_size=None):
    """GMACs of one image; REFERENCE.md's figure for the default size, else counted on a 1-image pass."""
    size = image_size or default_image_size(net)
    if net in REFERENCE and size == REFERENCE[net][0]:
        return REFERENCE[net][3]
    model = build(net, size)
    return count_macs(model, make_input(net, 1, size)) / 1e9


# ---------------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------------

def _check(ok, what, failures):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def self_test(nets):
    failures = []
    torch.set_num_threads(max(1, torch.get_num_threads()))
    # padding shortcuts against plain definitions, odd and even sizes, including asymmetric SAME
    g = torch.Generator().manual_seed(0)
    for size in (7, 8, 13, 17, 35, 56, 112):
        x = torch.randn(2, 3, size, size, generator=g, dtype=torch.float64)
        for k, s in ((3, 2), (2, 2), (3, 1), (1, 2), (5, 3)):
            for pad in ("SAME", "VALID"):
                if pad == "VALID" and size < k:
                    continue
                a, b = max_pool(x, (k, k), s, pad), max_pool_reference(x, (k, k), s, pad)
                if a.shape != b.shape or not torch.equal(a, b):
                    _check(False, "max pool %s k%d s%d on %d" % (pad, k, s, size), failures)
                a, b = avg_pool(x, (k, k), s, pad), avg_pool_reference(x, (k, k), s, pad)
                if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-12, atol=1e-12):
                    _check(False, "avg pool %s k%d s%d on %d" % (pad, k, s, size), failures)
    _check(not any(f.startswith(("max pool", "avg pool")) for f in failures),
           "max / avg pool SAME and VALID equal their plain definitions (-inf pad, count excluding pad)", failures)
    x = torch.randn(2, 20, 5, 5, generator=g, dtype=torch.float64) * 10
    for r, alpha in ((4, 0.001 / 9), (5, 0.0001 / 5)):
        _check(torch.allclose(lrn(x, r, 1.0, alpha, 0.75), lrn_reference(x, r, 1.0, alpha, 0.75), rtol=1e-10),
               "LRN r=%d matches tf.nn.lrn's definition" % r, failures)
    _check(same_pads(224, 11, 4) == (3, 4) and same_pads(112, 3, 2) == (0, 1) and same_pads(27, 5, 1) == (2, 2),
           "SAME pads: 11x11/4 on 224 -> (3, 4); 3x3/2 on 112 -> (0, 1)", failures)
    # conv with asymmetric SAME padding against an explicit F.pad
    conv = Conv(3, 4, 11, 11, stride=4).double()
    x = torch.randn(1, 3, 224, 224, generator=g, dtype=torch.float64)
    ref = F.relu(F.conv2d(F.pad(x, (3, 4, 3, 4)), conv.weights, conv.biases, 4))
    _check(conv(x).shape == (1, 4, 56, 56) and torch.allclose(conv(x), ref), "conv 11x11/4 SAME on 224: out 56, pad (3, 4)",
           failures)

    for net in nets:
        size, params, moving, gmacs, shapes = REFERENCE[net]
        model = build(net)
        n_params = sum(p.numel() for p in model.parameters())
        n_moving = sum(b.numel() for b in model.buffers())
        _check(n_params == params, "%s: %d trainable parameters (reference %d)" % (net, n_params, params), failures)
        _check(n_moving == moving, "%s: %d moving statistics (reference %d)" % (net, n_moving, moving), failures)
        x = make_input(net, 2)
        model.eval()
        with torch.no_grad():
            out = model(x)
        outs = out if isinstance(out, tuple) else (out,)
        got = [tuple(o.shape[1:]) for o in outs]
        _check(got == shapes, "%s: output shapes %s (reference %s)" % (net, got, shapes), failures)
        macs = count_macs(model, x[:1]) / 1e9
        _check(abs(macs - gmacs) < 0.0015, "%s: %.4f GMACs / image (reference %.3f)" % (net, macs, gmacs), failures)
        model.train()
        out = model(x)
        loss = model.objective(out)
        loss.backward()
        finite = all(torch.isfinite(o).all() for o in (out if isinstance(out, tuple) else (out,)))
        finite = finite and bool(torch.isfinite(loss)) and all(
            p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in model.parameters())
        tiny = sum(int(((o != 0) & (o.abs() < 1.1754944e-38)).sum()) for o in outs)
        _check(finite and tiny == 0, "%s: training step finite, every parameter has a gradient, no denormal outputs "
                                     "(loss %.4g)" % (net, float(loss)), failures)
        names = list(model.tf_parameters())
        print("      %s: %d parameter tensors, e.g. %s" % (net, len(names), ", ".join(names[:2] + names[-1:])))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-test", action="store_true", help="check shapes, parameter counts, MACs, padding, LRN")
    ap.add_argument("--nets", default="alexnet-conv,alexnet,vgg16,resnet50,inception3",
                    help="comma-separated nets for the self-test (default: %(default)s)")
    ap.add_argument("--list", metavar="NET", help="print the TF names and shapes of NET's parameters and buffers")
    args = ap.parse_args(argv)
    if args.list:
        m = build(args.list)
        for n, t in list(m.tf_parameters().items()) + list(m.tf_buffers().items()):
            print("%s %s" % (n, tuple(t.shape)))
        return 0
    if args.self_test:
        nets = [n.strip() for n in args.nets.split(",") if n.strip()]
        unknown = [n for n in nets if n not in REFERENCE]
        if unknown:
            print("unknown net(s): %s" % ", ".join(unknown), file=sys.stderr)
            return 2
        return self_test(nets)
    ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
