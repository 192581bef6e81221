"""Load-test your own deployment with a realistic shopper mix.

    pip install -r requirements/loadtest.txt
    locust -f loadtest/locustfile.py --host https://cart.example.com

Each simulated shopper registers once (or logs in as LOCUST_USER_PREFIX-N with
LOCUST_PASSWORD if those accounts exist), then browses, adds, changes quantities,
reads the cart, sometimes merges a guest cart as at login, and now and then checks out.
Weights follow a typical peak-day funnel: many reads, fewer writes, few checkouts.
"""

import os
import random
import uuid

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOCUST_PASSWORD", "load-test-passphrase-2026")


class Shopper(HttpUser):
    wait_time = between(0.5, 3)

    def on_start(self):
        username = f"{os.environ.get('LOCUST_USER_PREFIX', 'locust')}-{uuid.uuid4().hex[:12]}"
        response = self.client.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})
        self.client.headers["Authorization"] = f"Token {response.json()['token']}"
        products = self.client.get("/api/v1/products", name="/api/v1/products").json()["results"]
        self.skus = [
            (product["item_id"], sku["sku_id"]) for product in products for sku in product["skus"] if sku["active"]
        ] or [(1001, 200001)]
        self.lines: list[str] = []

    def _sku(self):
        return random.choice(self.skus)

    @task(30)
    def browse(self):
        page = random.randint(1, 5)
        self.client.get(f"/api/v1/products?page={page}", name="/api/v1/products?page=N")

    @task(30)
    def read_cart(self):
        self.client.get("/api/v1/cart")

    @task(15)
    def add(self):
        item_id, sku_id = self._sku()
        response = self.client.post(
            "/api/v1/cart/items",
            json={"item_id": item_id, "sku_id": sku_id, "quantity": random.randint(1, 3)},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if response.ok:
            self.lines.append(f"{item_id}:{sku_id}")

    @task(10)
    def change_quantity(self):
        if self.lines:
            line = random.choice(self.lines)
            self.client.patch(
                f"/api/v1/cart/items/{line}", json={"delta": random.choice([-1, 1])}, name="/api/v1/cart/items/[id]"
            )

    @task(5)
    def select_all(self):
        self.client.post("/api/v1/cart/selection", json={"checked": random.random() < 0.8})

    @task(3)
    def merge_at_login(self):
        guest = [
            {"item_id": i, "sku_id": s, "quantity": random.randint(1, 2)}
            for i, s in random.sample(self.skus, min(5, len(self.skus)))
        ]
        self.client.post("/api/v1/cart/merge", json={"items": guest, "policy": "max"})

    @task(1)
    def checkout(self):
        with self.client.post("/api/v1/checkout", json={}, catch_response=True) as response:
            # Sold out or nothing selected is a normal answer under load, not a failure.
            if response.status_code in (201, 400, 409):
                response.success()
                if response.status_code == 201:
                    self.lines.clear()
