using XformerDsl;

namespace Demo.Models;

// Kernelized linear attention with each feature map: Linear Transformer (elu + 1), Performer (FAVOR+ with a redraw
// schedule) and T2R (learned ReLU features), in layers of one model.
[Transformer(Vocab = 256, Dim = 128, Depth = 3, MaxLength = 4096)]
[LinearAttention(Heads = 2)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.Favor, Features = 96, RedrawEvery = 1000, Seed = 42, Layers = new[] { 1 })]
[LinearAttention(Heads = 2, Kernel = FeatureMap.LearnedRelu, Features = 32, Layers = new[] { 2 })]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class LinearFamily;
