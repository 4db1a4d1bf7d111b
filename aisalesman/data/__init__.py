"""Shipped data (products, persona splits) and loaders for user files.

``load_product("bistro-boost")`` or ``load_product("my_product.yaml")``;
``load_personas("test")`` or ``load_personas("my_personas.jsonl")``.
"""

from aisalesman.data.loading import (
    PERSONA_SPLITS,
    builtin_personas_by_id,
    builtin_product_names,
    load_personas,
    load_product,
    load_products,
    write_personas,
)

__all__ = [
    "PERSONA_SPLITS",
    "builtin_personas_by_id",
    "builtin_product_names",
    "load_personas",
    "load_product",
    "load_products",
    "write_personas",
]
