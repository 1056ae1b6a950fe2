using TorchSharp;
using XformerDsl;

// Declares a model, builds it and runs one forward pass: proves the generator ran (TinyGpt is completed), the runtime
// resolved and TorchSharp's natives load from where this build or publish put them.
torch.manual_seed(0);
using var model = new TinyGpt();
using var tokens = torch.randint(0, 256, new long[] { 2, 16 }, dtype: torch.int64);
using var logits = model.forward(tokens);
Console.WriteLine($"logits [{string.Join(", ", logits.shape)}]");
return logits.shape.SequenceEqual(new long[] { 2, 16, 256 }) ? 0 : 1;

[Transformer(Vocab = 256, Dim = 64, Depth = 2, MaxLength = 128, Causal = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 256)]
public partial class TinyGpt;
