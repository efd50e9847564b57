"""Species told apart mostly by their ears: cat, tiger, dog, wolf, rabbit, bear, koala, mouse,
elephant and pig (pointed, round, floppy, long, fluffy, giant or flopped-forward ears, plus
tails, muzzles, whiskers, stripes, a trunk and a snout)."""

from __future__ import annotations

from acvae.data.synthetic.anatomy import Species, ear_triangle, muzzle, whiskers
from acvae.data.synthetic.painter import INK, PINK, WHITE, mix, shade


class Cat(Species):
    name = "Cat"
    palette = ((0.08, 0.7, 0.95), (0.0, 0.0, 0.6), (0.0, 0.0, 0.97), (0.1, 0.25, 0.95),
               (0.85, 0.35, 0.95), (0.58, 0.35, 0.85), (0.0, 0.05, 0.3))

    def back(self, p, v, h):
        p.line([(110, 160), (128, 150), (136, 128), (130, 112)], shade(v.fur, 0.62), 9)
        p.line([(110, 160), (128, 150), (136, 128), (130, 112)], v.fur, 6.5)

    def front(self, p, v, h):
        for s in (-1, 1):
            ear_triangle(p, v, (h.cx + s * 33, h.cy - h.ry - 16),
                          (h.cx + s * 12, h.cy - h.ry + 8), (h.cx + s * 44, h.cy - 14))
        if v.markings:
            for dx in (-6, 0, 6):
                p.line([(h.cx + dx, h.cy - h.ry + 2), (h.cx + dx * 0.8, h.cy - h.ry + 11)],
                       shade(v.fur, 0.6), 2.4)
        y = h.cy + 0.3 * h.ry
        p.polygon([(h.cx - 4, y - 2), (h.cx + 4, y - 2), (h.cx, y + 2.5)], mix(PINK, INK, 0.3))
        whiskers(p, v, h, y + 2)


class Tiger(Cat):
    name = "Tiger"
    body_width = 1.15
    palette = ((0.08, 0.85, 0.95), (0.1, 0.6, 1.0), (0.0, 0.0, 0.95), (0.55, 0.35, 0.85))

    def front(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 33, h.cy - h.ry + 6, 10, v.fur, shade(v.fur, 0.62))
            p.circle(h.cx + s * 33, h.cy - h.ry + 7, 5.5, v.fur2)
        stripe = shade(v.fur, 0.3)
        for dx in (-10, 0, 10):
            p.polygon([(h.cx + dx - 3, h.cy - h.ry + 1), (h.cx + dx + 3, h.cy - h.ry + 1),
                       (h.cx + dx, h.cy - h.ry + 14)], stripe)
        for s in (-1, 1):
            for dy in (-6, 4):
                x0 = h.cx + s * h.rx
                y = h.cy + dy
                p.polygon([(x0, y - 3), (x0, y + 3), (x0 - s * 13, y)], stripe)
        muzzle(p, v, h, 17, 11, 0.45 * h.ry, nose=mix(PINK, INK, 0.35))


class Dog(Species):
    name = "Dog"
    palette = ((0.08, 0.55, 0.8), (0.1, 0.3, 0.95), (0.0, 0.0, 0.98), (0.06, 0.6, 0.5),
               (0.0, 0.0, 0.45), (0.6, 0.25, 0.9))

    def back(self, p, v, h):
        p.oval(124, 140, 5, 11, v.fur, shade(v.fur, 0.62), angle=-35)

    def front(self, p, v, h):
        ear = shade(v.fur, 0.72)
        for s in (-1, 1):
            p.oval(h.cx + s * (h.rx - 2), h.cy - 4, 11, 25, ear, shade(v.fur, 0.5), angle=s * 18)
        muzzle(p, v, h, 18, 13, 0.42 * h.ry, nose_r=(6, 4.2))


class Wolf(Dog):
    name = "Wolf"
    palette = ((0.6, 0.15, 0.65), (0.0, 0.0, 0.35), (0.08, 0.35, 0.7), (0.0, 0.0, 0.85))

    def back(self, p, v, h):
        p.oval(126, 150, 8, 20, v.fur, shade(v.fur, 0.62), angle=-30)
        p.oval(131, 139, 4, 8, v.fur2, angle=-30)

    def front(self, p, v, h):
        for s in (-1, 1):
            ear_triangle(p, v, (h.cx + s * 30, h.cy - h.ry - 20),
                          (h.cx + s * 10, h.cy - h.ry + 6), (h.cx + s * 40, h.cy - 20))
        p.polygon([(h.cx - 20, h.cy + 6), (h.cx + 20, h.cy + 6), (h.cx + 13, h.cy + 30),
                   (h.cx - 13, h.cy + 30)], v.fur2)
        p.oval(h.cx, h.cy + 12, 6, 4.5, INK)


class Rabbit(Species):
    name = "Rabbit"
    head_y = 95.0
    head = (42.0, 38.0)
    body_width = 0.9
    palette = ((0.0, 0.0, 0.98), (0.95, 0.3, 0.98), (0.08, 0.45, 0.85), (0.0, 0.0, 0.55),
               (0.15, 0.35, 1.0), (0.55, 0.3, 0.95))

    def back(self, p, v, h):
        p.circle(120, 160, 9, v.fur2, shade(v.fur2, 0.75))

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            cx, angle = h.cx + s * 15, s * 10
            p.oval(cx, h.cy - h.ry - 18, 11, 30, v.fur, shade(v.fur, 0.62), angle=angle)
            p.oval(cx, h.cy - h.ry - 16, 5.5, 22, mix(v.fur2, PINK, 0.55), angle=angle)

    def front(self, p, v, h):
        y = h.cy + 0.3 * h.ry
        p.oval(h.cx, y, 4.5, 3.2, PINK)
        p.rect(h.cx - 3.2, y + 6, h.cx + 3.2, y + 12, 1.2, WHITE, shade(v.fur, 0.5), 0.7)

    def mouth(self, h):
        return h.cx, h.cy + 0.42 * h.ry


class Bear(Species):
    name = "Bear"
    head = (47.0, 41.0)
    body_width = 1.3
    palette = ((0.07, 0.6, 0.55), (0.08, 0.45, 0.8), (0.0, 0.0, 0.95), (0.05, 0.3, 0.35),
               (0.95, 0.35, 0.9), (0.55, 0.3, 0.8))

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 32, h.cy - h.ry + 5, 13, v.fur, shade(v.fur, 0.62))
            p.circle(h.cx + s * 32, h.cy - h.ry + 6, 7, v.fur2)

    def front(self, p, v, h):
        muzzle(p, v, h, 20, 14, 0.45 * h.ry, nose_r=(7, 4.8))


class Koala(Species):
    name = "Koala"
    head = (43.0, 38.0)
    palette = ((0.6, 0.06, 0.65), (0.6, 0.1, 0.8), (0.08, 0.3, 0.7), (0.75, 0.2, 0.75))
    eye_dx = 0.45

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 40, h.cy - 18, 19, v.fur, shade(v.fur, 0.62))
            p.circle(h.cx + s * 41, h.cy - 17, 12, shade(v.fur, 1.75))

    def front(self, p, v, h):
        p.oval(h.cx, h.cy + 12, 9, 12, shade(v.fur, 0.28))
        p.oval(h.cx - 3, h.cy + 6, 2.5, 2, shade(v.fur, 0.8))

    def mouth(self, h):
        return h.cx, h.cy + 0.78 * h.ry


class Mouse(Species):
    name = "Mouse"
    head = (38.0, 35.0)
    head_y = 90.0
    body_width = 0.85
    palette = ((0.0, 0.0, 0.7), (0.0, 0.0, 0.95), (0.08, 0.4, 0.8), (0.1, 0.6, 0.95),
               (0.55, 0.2, 0.85))

    def back(self, p, v, h):
        p.line([(108, 162), (130, 168), (142, 150), (134, 132)], mix(v.fur2, PINK, 0.6), 2.4)

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 33, h.cy - h.ry - 2, 22, v.fur, shade(v.fur, 0.62))
            p.circle(h.cx + s * 33, h.cy - h.ry - 1, 15, mix(v.fur2, PINK, 0.55))

    def front(self, p, v, h):
        y = h.cy + 0.32 * h.ry
        p.circle(h.cx, y, 4.2, mix(PINK, INK, 0.15))
        whiskers(p, v, h, y + 1)


class Elephant(Species):
    name = "Elephant"
    head = (42.0, 40.0)
    body_width = 1.35
    palette = ((0.6, 0.12, 0.75), (0.6, 0.3, 0.9), (0.9, 0.3, 0.95), (0.55, 0.4, 0.8),
               (0.0, 0.0, 0.8), (0.3, 0.25, 0.8))
    secondary = 1.3

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            p.oval(h.cx + s * 46, h.cy + 2, 24, 32, v.fur, shade(v.fur, 0.62), angle=s * 8)
            p.oval(h.cx + s * 48, h.cy + 3, 16, 23, mix(v.fur2, PINK, 0.35), angle=s * 8)

    def front(self, p, v, h):
        trunk = [(h.cx - 8, h.cy + 2), (h.cx + 8, h.cy + 2), (h.cx + 6, h.cy + 40),
                 (h.cx + 10, h.cy + 48), (h.cx + 4, h.cy + 52), (h.cx - 5, h.cy + 44)]
        p.polygon(trunk, v.fur, shade(v.fur, 0.62))
        for y in (h.cy + 18, h.cy + 26, h.cy + 34):
            p.line([(h.cx - 4, y), (h.cx + 4, y)], shade(v.fur, 0.7), 0.9)

    def mouth(self, h):
        return h.cx + 17, h.cy + 0.62 * h.ry


class Pig(Species):
    name = "Pig"
    head = (51.0, 37.0)
    head_y = 84.0
    body_width = 1.5
    palette = ((0.96, 0.3, 1.0), (0.97, 0.4, 0.95), (0.06, 0.35, 0.8), (0.0, 0.0, 0.4),
               (0.55, 0.25, 0.9))
    secondary = 1.3

    def back(self, p, v, h):
        p.arc(124, 150, 6, 6, 90, 420, shade(v.fur, 0.8), 2.4)

    def front(self, p, v, h):
        for s in (-1, 1):
            p.polygon([(h.cx + s * 20, h.cy - h.ry + 5), (h.cx + s * 56, h.cy - h.ry - 4),
                       (h.cx + s * 42, h.cy - 8)], shade(v.fur, 0.85), shade(v.fur, 0.6))
        y = h.cy + 0.28 * h.ry
        p.oval(h.cx, y, 14, 10, mix(v.fur, PINK, 0.5), shade(v.fur, 0.6))
        for s in (-1, 1):
            p.oval(h.cx + s * 5, y, 2.2, 3.6, shade(v.fur, 0.35))

    def mouth(self, h):
        return h.cx, h.cy + 0.68 * h.ry
