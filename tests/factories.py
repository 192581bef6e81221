from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Item, Sku, Stock
from pricing.models import Price, Promotion


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"shopper{n}")
    password = factory.django.Password("correct-horse-battery")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    item_id = factory.Sequence(lambda n: 10_000 + n)
    title = factory.Faker("catch_phrase")
    category = "misc"
    active = True
    features = factory.LazyFunction(lambda: [0.5, 0.5, 0.5])


class SkuFactory(factory.django.DjangoModelFactory):
    """A sellable SKU with a list price and stock unless told otherwise."""

    class Meta:
        model = Sku
        skip_postgeneration_save = True

    sku_id = factory.Sequence(lambda n: 500_000 + n)
    item = factory.SubFactory(ItemFactory)
    attributes = factory.LazyFunction(lambda: {"size": "M"})
    active = True
    price = factory.RelatedFactory("tests.factories.PriceFactory", factory_related_name="sku")
    stock = factory.RelatedFactory("tests.factories.StockFactory", factory_related_name="sku")


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    sku = factory.SubFactory(SkuFactory, price=None)
    amount = Decimal("19.99")
    currency = "USD"


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock

    sku = factory.SubFactory(SkuFactory, stock=None)
    quantity = 50


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    name = factory.Sequence(lambda n: f"Promo {n}")
    sku = factory.SubFactory(SkuFactory)
    percent_off = Decimal("10")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    active = True
