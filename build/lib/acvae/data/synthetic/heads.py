"""Species told apart by the head itself: frog (eyes on top), duck and bird (bills and beaks,
crests, wings), horse (long face, mane), deer (antlers), goat (horns, beard), sheep (wool, curled
horns) and lion (mane)."""

from __future__ import annotations

from math import cos, radians, sin

from acvae.data.synthetic.anatomy import Species, ear_triangle, muzzle
from acvae.data.synthetic.painter import INK, PINK, WHITE, mix, shade


class Frog(Species):
    name = "Frog"
    head = (52.0, 33.0)
    head_y = 88.0
    body_width = 1.15
    feet = "webbed"
    palette = ((0.3, 0.7, 0.75), (0.25, 0.6, 0.8), (0.35, 0.55, 0.6), (0.15, 0.7, 0.9),
               (0.55, 0.5, 0.85), (0.0, 0.6, 0.85))
    eye_y, eye_dx, eye_size = -1.05, 0.47, 1.05
    mouth_y = 0.35

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 24, h.cy - h.ry + 1, 15, v.fur, shade(v.fur, 0.62))
            p.circle(h.cx + s * 24, h.cy - h.ry + 1, 11, WHITE)

    def front(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 4, h.cy + 2, 1.3, shade(v.fur, 0.4))
        p.arc(h.cx, h.cy + 2, 34, 14, 20, 160, shade(v.fur, 0.4), 1.6)

    def mouth(self, h):
        return h.cx, h.cy + 20

    def accessory_at(self, h):
        return h.cx + h.rx * 0.72, h.cy - h.ry * 0.3


class Duck(Species):
    name = "Duck"
    head = (41.0, 39.0)
    head_y = 84.0
    feet = "webbed"
    arms = "wing"
    palette = ((0.0, 0.0, 0.98), (0.14, 0.6, 1.0), (0.55, 0.35, 0.9), (0.0, 0.0, 0.6),
               (0.3, 0.4, 0.8), (0.85, 0.2, 0.95))
    eye_y = -0.1

    def behind_head(self, p, v, h):
        for angle, dx in ((-25, -5), (0, 0), (25, 5)):
            p.oval(h.cx + dx, h.cy - h.ry - 4, 4, 10, v.fur, shade(v.fur, 0.62), angle=angle)

    def front(self, p, v, h):
        bill = (248, 170, 50)
        y = h.cy + 0.38 * h.ry
        p.oval(h.cx, y, 23, 11, bill, shade(bill, 0.7))
        p.line([(h.cx - 18, y + 1), (h.cx + 18, y + 1)], shade(bill, 0.6), 1.1)
        for s in (-1, 1):
            p.circle(h.cx + s * 5, y - 5, 1.2, shade(bill, 0.5))

    def mouth(self, h):
        return None


class Bird(Duck):
    name = "Bird"
    head = (38.0, 37.0)
    body_width = 0.85
    palette = ((0.58, 0.7, 0.95), (0.0, 0.7, 0.95), (0.3, 0.7, 0.8), (0.13, 0.8, 1.0),
               (0.8, 0.5, 0.9))
    secondary = 1.6

    def behind_head(self, p, v, h):
        for angle, dx, length in ((-30, -6, 12), (-10, -1, 16), (15, 5, 13)):
            p.oval(h.cx + dx, h.cy - h.ry - length * 0.6, 3.5, length, shade(v.fur, 0.8),
                   shade(v.fur, 0.55), angle=angle)

    def front(self, p, v, h):
        beak = (250, 200, 60)
        y = h.cy + 0.28 * h.ry
        p.polygon([(h.cx - 8, y - 4), (h.cx + 8, y - 4), (h.cx, y + 12)], beak, shade(beak, 0.65))
        p.polygon([(h.cx - 5, y + 2), (h.cx + 5, y + 2), (h.cx, y + 12)], shade(beak, 0.85))


class Horse(Species):
    name = "Horse"
    head = (33.0, 48.0)
    head_y = 80.0
    feet = "hoof"
    palette = ((0.07, 0.6, 0.6), (0.08, 0.4, 0.85), (0.0, 0.0, 0.95), (0.0, 0.0, 0.35),
               (0.6, 0.3, 0.85), (0.95, 0.25, 0.95))
    eye_y, eye_dx = -0.2, 0.5
    secondary = 1.3

    def behind_head(self, p, v, h):
        for s in (-1, 1):
            ear_triangle(p, v, (h.cx + s * 20, h.cy - h.ry - 14),
                          (h.cx + s * 8, h.cy - h.ry + 8), (h.cx + s * 28, h.cy - h.ry + 12))

    def front(self, p, v, h):
        mane = shade(v.fur, 0.45)
        top = h.cy - h.ry
        p.polygon([(h.cx - 14, top + 2), (h.cx + 12, top + 1), (h.cx + 20, top + 14),
                   (h.cx + 2, top + 10), (h.cx - 8, top + 20)], mane)
        p.oval(h.cx, h.cy + 0.55 * h.ry, 27, 19, v.fur2, shade(v.fur2, 0.8), 0.8)
        for s in (-1, 1):
            p.oval(h.cx + s * 9, h.cy + 0.45 * h.ry, 2.8, 4, shade(v.fur, 0.4))

    def mouth(self, h):
        return h.cx, h.cy + 0.78 * h.ry


class Deer(Horse):
    name = "Deer"
    head = (36.0, 42.0)
    head_y = 92.0
    palette = ((0.07, 0.55, 0.75), (0.08, 0.45, 0.9), (0.05, 0.35, 0.6), (0.95, 0.2, 0.95),
               (0.0, 0.0, 0.92))
    eye_y, eye_dx = -0.05, 0.45

    def behind_head(self, p, v, h):
        antler = (215, 180, 130)
        if v.gender == "Male":
            for s in (-1, 1):
                x, top = h.cx, h.cy - h.ry
                p.line([(x + s * 14, top + 6), (x + s * 22, top - 22), (x + s * 38, top - 34)],
                       antler, 4.5)
                p.line([(x + s * 21, top - 18), (x + s * 12, top - 34)], antler, 3.8)
                p.line([(x + s * 30, top - 28), (x + s * 32, top - 38)], antler, 3.2)
        for s in (-1, 1):
            p.oval(h.cx + s * 44, h.cy - 22, 15, 7, v.fur, shade(v.fur, 0.62), angle=-s * 25)
            p.oval(h.cx + s * 45, h.cy - 22, 9, 3.5, mix(v.fur2, PINK, 0.5), angle=-s * 25)

    def front(self, p, v, h):
        for dx, dy in ((-16, -22), (15, -25), (-22, -8), (20, -10), (0, -30)):
            p.circle(h.cx + dx, h.cy + dy, 2.2, shade(v.fur, 1.7))
        p.oval(h.cx, h.cy + 0.6 * h.ry, 20, 14, v.fur2, shade(v.fur2, 0.8), 0.8)
        p.oval(h.cx, h.cy + 0.46 * h.ry, 6, 4.2, INK)


class Goat(Species):
    name = "Goat"
    head = (38.0, 40.0)
    feet = "hoof"
    palette = ((0.0, 0.0, 0.96), (0.1, 0.2, 0.85), (0.0, 0.0, 0.65), (0.08, 0.45, 0.6),
               (0.9, 0.2, 0.9))
    eye_dx = 0.45

    def behind_head(self, p, v, h):
        horn = (190, 175, 150) if v.fur[0] > 150 else (235, 225, 200)
        for s in (-1, 1):
            top = h.cy - h.ry
            curve = [(h.cx + s * 10, top + 8), (h.cx + s * 18, top - 14),
                     (h.cx + s * 32, top - 20), (h.cx + s * 38, top - 10)]
            p.line(curve, shade(horn, 0.7), 10)
            p.line(curve, horn, 8)
            p.oval(h.cx + s * 42, h.cy - 8, 16, 6, v.fur, shade(v.fur, 0.62), angle=s * 25)

    def front(self, p, v, h):
        chin = h.cy + h.ry
        p.polygon([(h.cx - 9, chin - 4), (h.cx + 9, chin - 4), (h.cx, chin + 16)],
                  shade(v.fur, 0.8), shade(v.fur, 0.55))
        p.oval(h.cx, h.cy + 0.5 * h.ry, 17, 12, v.fur2)
        for s in (-1, 1):
            p.oval(h.cx + s * 5, h.cy + 0.42 * h.ry, 2, 3, shade(v.fur, 0.4))

    def mouth(self, h):
        return h.cx, h.cy + 0.72 * h.ry


class Sheep(Species):
    name = "Sheep"
    head = (34.0, 34.0)
    head_y = 84.0
    body_width = 1.25
    feet = "hoof"
    palette = ((0.0, 0.0, 0.98), (0.1, 0.2, 0.97), (0.95, 0.25, 0.98), (0.6, 0.2, 0.95),
               (0.0, 0.0, 0.4), (0.15, 0.35, 0.98))
    eye_dx = 0.42

    def behind_head(self, p, v, h):
        wool = v.fur
        for i in range(14):
            angle = 360 * i / 14
            x = h.cx + (h.rx + 10) * cos(radians(angle))
            y = h.cy - 6 + (h.ry + 10) * sin(radians(angle))
            p.circle(x, y, 14, wool, shade(wool, 0.75))
        p.circle(h.cx, h.cy - 6, h.rx + 12, wool)
        if v.gender == "Male":
            horn = (200, 170, 120)
            for s in (-1, 1):
                p.circle(h.cx + s * 40, h.cy + 2, 12, horn, shade(horn, 0.6))
                p.arc(h.cx + s * 40, h.cy + 2, 6, 6, 0, 300, shade(horn, 0.6), 1.4)

    def skull(self, p, v, h):
        face = shade(v.fur, 0.55) if v.fur[0] > 200 and not v.markings else shade(v.fur, 1.5)
        p.oval(h.cx, h.cy + 6, h.rx, h.ry - 4, face, shade(face, 0.7))
        for s in (-1, 1):
            p.oval(h.cx + s * 36, h.cy - 2, 11, 5, face, shade(face, 0.7), angle=s * 20)
        for dx in (-10, 0, 10):
            p.circle(h.cx + dx, h.cy - h.ry + 4, 8, v.fur)

    def front(self, p, v, h):
        p.oval(h.cx, h.cy + 0.45 * h.ry, 4, 3, shade(v.fur, 0.3))


class Lion(Species):
    name = "Lion"
    genders = ("Male",)
    head = (40.0, 37.0)
    head_y = 82.0
    body_width = 1.15
    palette = ((0.1, 0.55, 0.95), (0.12, 0.4, 0.9), (0.0, 0.0, 0.95), (0.08, 0.6, 0.75))

    def behind_head(self, p, v, h):
        mane = mix(shade(v.fur, 0.55), (160, 60, 20), 0.4)
        spikes = []
        for i in range(36):
            r = (h.rx + 22) if i % 2 == 0 else (h.rx + 10)
            angle = radians(360 * i / 36)
            spikes.append((h.cx + r * cos(angle), h.cy + 2 + r * 0.95 * sin(angle)))
        p.polygon(spikes, mane, shade(mane, 0.7))

    def front(self, p, v, h):
        for s in (-1, 1):
            p.circle(h.cx + s * 30, h.cy - h.ry + 6, 7, v.fur, shade(v.fur, 0.62))
        muzzle(p, v, h, 16, 11, 0.45 * h.ry, nose=mix(PINK, INK, 0.5))
