namespace XformerDsl.Generator;
