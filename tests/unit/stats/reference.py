#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent reference values for tests/unit/stats/*_test.cpp.

Pure Python 3 (no numpy): its own MT19937-64 (from Matsumoto & Nishimura's parameters, checked
against the value the C++ standard requires of the 10000th output), exact binomial tails with
math.comb and fractions, brute-force enumeration of every sign pattern, and the resampling
procedures exactly as include/promptbench/stats.hpp specifies them. Run it with
`python3 tests/unit/stats/reference.py`; the tests paste its output.
"""
import itertools
import math
from fractions import Fraction

MASK = (1 << 64) - 1


class MT19937_64:
    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK
        self.index = 312

    def _twist(self):
        upper, lower = 0xFFFFFFFF80000000, 0x7FFFFFFF
        for i in range(312):
            x = (self.mt[i] & upper) | (self.mt[(i + 1) % 312] & lower)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            self.mt[i] = self.mt[(i + 156) % 312] ^ xa
        self.index = 0

    def next(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK

    def below(self, n):  # Lemire (2019): multiply, reject a low half under 2^64 mod n
        m = self.next() * n
        if (m & MASK) < n:
            threshold = (1 << 64) % n
            while (m & MASK) < threshold:
                m = self.next() * n
        return m >> 64


def check_generator():
    g = MT19937_64(5489)  # the default seed; [rand.predef]: 10000th value 9981545732273789042
    for _ in range(9999):
        g.next()
    assert g.next() == 9981545732273789042


def quantile(values, q):  # numpy's default 'linear' method
    s = sorted(values)
    pos = q * (len(s) - 1)
    below = math.floor(pos)
    if below + 1 >= len(s):
        return s[-1]
    return s[below] + (pos - below) * (s[below + 1] - s[below])


def bootstrap_interval(values, seed, resamples):
    g = MT19937_64(seed)
    n = len(values)
    means = []
    for _ in range(resamples):
        total = 0.0
        for _ in range(n):
            total += values[g.below(n)]
        means.append(total / n)
    return quantile(means, 0.025), quantile(means, 0.975)


def mcnemar_exact(b, c):
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)
    return float(min(Fraction(1), 2 * tail))


def exact_sign_flip(diffs):
    d = [x for x in diffs if x != 0]
    observed = abs(sum(Fraction(x) for x in d))
    extreme = 0
    for signs in itertools.product((1, -1), repeat=len(d)):
        if abs(sum(s * Fraction(x) for s, x in zip(signs, d))) >= observed:
            extreme += 1
    return extreme / 2 ** len(d)


def monte_carlo_sign_flip(diffs, seed, resamples):
    d = [x for x in diffs if x != 0]
    observed = abs(sum(d))
    threshold = observed - 1e-9 * sum(abs(x) for x in d)
    g = MT19937_64(seed)
    extreme = 0
    for _ in range(resamples):
        total = 0.0
        bits = 0
        for i, x in enumerate(d):
            if i % 64 == 0:
                bits = g.next()
            total += -x if (bits >> (i % 64)) & 1 else x
        extreme += abs(total) >= threshold
    return (extreme + 1) / (resamples + 1)


def holm(ps):
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    m, running, out = len(ps), 0.0, [0.0] * len(ps)
    for j, i in enumerate(order):
        running = max(running, min(1.0, (m - j) * ps[i]))
        out[i] = running
    return out


# The data sets the tests use.
SCORES_30 = [((i * 37) % 101) / 100 for i in range(30)]          # continuous, in [0, 1)
DIFFS_12 = [0.5, -0.25, 1.0, 0.75, 0.0, 0.5, -0.5, 1.25, 0.25, 0.0, 0.75, 1.0]
DIFFS_40 = [((i * 53) % 17 - 6) / 8 for i in range(40)]          # mean slightly positive
DARWIN = [49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48]

if __name__ == "__main__":
    check_generator()
    g = MT19937_64(42)
    print("mt19937_64(42) first three:", [g.next() for _ in range(3)])
    g = MT19937_64(7)
    print("below(10) x 10, seed 7:", [g.below(10) for _ in range(10)])
    g = MT19937_64(1)
    n = (1 << 63) + 1
    print("below(2^63 + 1) x 3, seed 1:", [g.below(n) for _ in range(3)])
    for b, c in [(0, 0), (0, 1), (1, 9), (2, 8), (5, 5), (3, 12), (10, 25), (40, 60), (400, 500),
                 (0, 1000)]:
        print(f"mcnemar b={b} c={c}: {mcnemar_exact(b, c)!r}")
    print("exact sign flip DARWIN:", repr(exact_sign_flip(DARWIN)))
    print("exact sign flip DIFFS_12:", repr(exact_sign_flip(DIFFS_12)))
    print("monte carlo DIFFS_40 seed 0 x 2000:", repr(monte_carlo_sign_flip(DIFFS_40, 0, 2000)))
    print("monte carlo DIFFS_40 seed 9 x 2000:", repr(monte_carlo_sign_flip(DIFFS_40, 9, 2000)))
    print("bootstrap SCORES_30 seed 0 x 2000:", bootstrap_interval(SCORES_30, 0, 2000))
    print("bootstrap SCORES_30 seed 3 x 2000:", bootstrap_interval(SCORES_30, 3, 2000))
    print("holm:", holm([0.01, 0.04, 0.03, 0.005]))
