using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public class WeightDecayPolicyTests
{
    [Theory]
    [InlineData("layers.0.attn.q_proj.weight", 2, false, true)]
    [InlineData("layers.0.attn.q_proj.bias", 1, false, false)]
    [InlineData("layers.0.norm1.weight", 1, false, false)]
    [InlineData("tok_embeddings.weight", 2, false, false)]
    [InlineData("transformer.wte.weight", 2, false, false)]
    [InlineData("pos_emb", 2, false, false)]
    [InlineData("table.weight", 2, true, false)]
    [InlineData("lm_head.weight", 2, false, true)]
    public void Only_matrices_that_are_not_embeddings_decay(string name, long dims, bool ownedByEmbedding, bool decays)
    {
        Assert.Equal(decays, WeightDecayPolicy.Decays(name, dims, ownedByEmbedding));
    }

    [Fact]
    public void A_model_splits_into_its_linear_weight_and_the_rest()
    {
        using var model = new TinyLanguageModel(vocabulary: 16, dim: 8);
        var (decayed, notDecayed) = WeightDecayPolicy.Split(model);

        Assert.Equal(["head.weight"], decayed.Select(p => p.Name));
        Assert.Equal(["head.bias", "norm.bias", "norm.weight", "tok_emb.weight"], notDecayed.Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
