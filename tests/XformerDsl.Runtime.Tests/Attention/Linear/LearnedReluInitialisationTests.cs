using TorchSharp;
using XformerDsl.Attention.Linear;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

/// <summary>The initialisation choices for T2R's new feature maps after a swap: what each draws, and that nothing else moves.</summary>
public class LearnedReluInitialisationTests
{
    private const int HeadDim = 8;   // TinyT2R: Dim 16 / 2 heads

    [Theory]
    [InlineData(LearnedReluInitialisation.Normal)]
    [InlineData(LearnedReluInitialisation.Paper)]
    public void Only_the_feature_maps_are_drawn_again_from_the_chosen_distribution(LearnedReluInitialisation initialisation)
    {
        torch.manual_seed(2);
        using var softmax = new TinySoftmaxForT2R();
        using var linear = TinyT2R.ConvertFrom(softmax, out var newParameters);
        var before = linear.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        var set = LearnedReluInitialiser.Apply(linear, initialisation);

        Assert.Equal(newParameters.Order(), set.Order());
        var after = linear.state_dict();
        foreach (var (name, weights) in before.Where(p => !set.Contains(p.Key)))
            Assert.True(weights.eq(after[name]).all().item<bool>(), $"{name} changed");
        var weight = cat(set.Where(n => n.EndsWith("feature_weight")).Select(n => after[n].flatten()).ToArray());
        var bias = cat(set.Where(n => n.EndsWith("feature_bias")).Select(n => after[n].flatten()).ToArray());
        double bound = 1 / Math.Sqrt(HeadDim), std = weight.std().item<float>();
        if (initialisation == LearnedReluInitialisation.Normal)
        {
            // N(0, 1/headDim) for W (384 draws: the sample std is within 15 % of 1/√8 far beyond 4σ), b = 0.
            Assert.InRange(std, 0.85 * bound, 1.15 * bound);
            Assert.Equal(0, bias.abs().max().item<float>());
        }
        else
        {
            // Uniform in ±1/√headDim for W and b, as PyTorch's nn.Linear(headDim, ·): std bound/√3.
            Assert.True(weight.abs().max().item<float>() <= bound && bias.abs().max().item<float>() <= bound);
            Assert.InRange(std, 0.85 * bound / Math.Sqrt(3), 1.15 * bound / Math.Sqrt(3));
            Assert.True(bias.abs().max().item<float>() > 0);
        }
        foreach (var tensor in before.Values) tensor.Dispose();
    }

    [Fact]
    public void A_model_without_a_learned_feature_map_is_refused_with_the_reason()
    {
        using var elu = new TinyLinearElu();
        var error = Assert.Throws<ArgumentException>(() => LearnedReluInitialiser.Apply(elu, LearnedReluInitialisation.Paper));
        Assert.Contains("Kernel = FeatureMap.LearnedRelu", error.Message);
    }
}
