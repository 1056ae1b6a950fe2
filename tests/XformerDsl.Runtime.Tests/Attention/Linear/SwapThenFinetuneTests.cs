using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

// The softmax model T2R starts from: TinyT2R's frame with full attention.
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 40)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class TinySoftmaxForT2R;

/// <summary>
/// T2R's swap-then-finetune: a softmax model's weights carried into a learned-feature linear attention model with the same
/// frame, the new feature maps reported, and finetuning that lowers the loss of the converted model.
/// </summary>
public class SwapThenFinetuneTests
{
    [Fact]
    public void Every_shared_weight_is_copied_and_the_feature_maps_are_reported_as_new()
    {
        torch.manual_seed(1);
        using var softmax = new TinySoftmaxForT2R();
        using var linear = new TinyT2R();

        var report = WeightTransfer.CopyShared(softmax, linear);

        Assert.Equal(new[] { "layers.0.attn.feature_weight", "layers.0.attn.feature_bias", "layers.1.attn.feature_weight", "layers.1.attn.feature_bias" }.Order(), report.New.Order());
        Assert.Empty(report.Unused);
        var source = softmax.state_dict();
        var target = linear.state_dict();
        Assert.Equal(source.Count, report.Copied.Count);
        foreach (var name in report.Copied)
            Assert.True(source[name].eq(target[name]).all().item<bool>(), $"{name} differs after the copy");
    }

    [Fact]
    public void The_generated_ConvertFrom_copies_every_shared_weight_and_reports_exactly_the_feature_maps()
    {
        // Randomise every source weight (not only the initialisation), so a weight left out of the copy cannot match by chance.
        using var softmax = new TinySoftmaxForT2R();
        var generator = new Generator(11);
        using (no_grad())
        {
            foreach (var (_, tensor) in softmax.state_dict())
                tensor.copy_(randn(tensor.shape, generator: generator));
        }

        using var linear = TinyT2R.ConvertFrom(softmax, out var newParameters);

        var expectedNew = Enumerable.Range(0, 2).SelectMany(layer => new[] { $"layers.{layer}.attn.feature_weight", $"layers.{layer}.attn.feature_bias" });
        Assert.Equal(expectedNew.Order(), newParameters.Order());
        var source = softmax.state_dict();
        var target = linear.state_dict();
        Assert.Equal(target.Keys.Order(), source.Keys.Concat(newParameters).Order());
        foreach (var (name, weights) in source)
            Assert.True(weights.eq(target[name]).all().item<bool>(), $"{name} differs after ConvertFrom");
        Assert.NotSame(softmax, linear);
        Assert.Throws<ArgumentNullException>(() => TinyT2R.ConvertFrom(null!, out _));
    }

    [Fact]
    public void Models_of_different_frames_are_refused_with_the_mismatching_weights()
    {
        using var softmax = new TinySoftmaxForT2R();
        using var other = new TinyLinearSinusoidalPostNorm();
        var error = Assert.Throws<ArgumentException>(() => WeightTransfer.CopyShared(softmax, other));
        Assert.Contains("token_embedding.weight: [16, 16] in TinySoftmaxForT2R, [16, 12] in TinyLinearSinusoidalPostNorm", error.Message);
    }

    [Fact]
    public void A_converted_model_finetunes()
    {
        torch.manual_seed(3);
        using var softmax = new TinySoftmaxForT2R();
        using var linear = new TinyT2R();
        var batch = randint(16, new long[] { 2, 16 }, dtype: int64, generator: new Generator(9));
        var inputs = batch[.., ..^1];
        var targets = batch[.., 1..];
        Tensor Loss(nn.Module<Tensor, Tensor> model) =>
            nn.functional.cross_entropy(model.call(inputs).reshape(-1, 16), targets.reshape(-1));

        // Train the softmax model a little, convert, then finetune the converted one on the same data.
        var softmaxOptimizer = optim.AdamW(softmax.parameters(), lr: 1e-2);
        for (int step = 0; step < 12; step++)
        {
            softmaxOptimizer.zero_grad();
            Loss(softmax).backward();
            softmaxOptimizer.step();
        }
        WeightTransfer.CopyShared(softmax, linear);
        double converted = Loss(linear).item<float>();
        var optimizer = optim.AdamW(linear.parameters(), lr: 1e-2);
        for (int step = 0; step < 12; step++)
        {
            optimizer.zero_grad();
            Loss(linear).backward();
            optimizer.step();
        }
        double finetuned = Loss(linear).item<float>();

        Assert.True(finetuned < 0.8 * converted, $"loss {converted:F3} after conversion, {finetuned:F3} after finetuning");
    }
}
