using static TorchSharp.torch;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// How the new weights of a T2R feature map, φ(x) = relu(W x + b), start after a swap: the weights
/// <c>[ConvertsFrom]</c>'s <c>ConvertFrom</c> reports as new, which finetuning must learn first.
/// </summary>
public enum LearnedReluInitialisation
{
    /// <summary>
    /// The generated models' own: W ~ N(0, 1/headDim) (so W x has about the spread of x) and b = 0. Every feature starts
    /// as a random direction through the origin, half of the features of a key active.
    /// </summary>
    Normal = 0,

    /// <summary>
    /// What T2R's code does (Kasai et al., 2021; jungokasai/T2R, <c>MLPDecoderLayer.fc3</c>, one
    /// <c>nn.Linear(headDim, heads × features)</c> shared by queries and keys): PyTorch's default for a linear layer,
    /// W and b both uniform in ±1/√headDim. The paper itself states only that W and b are learned and random at first.
    /// </summary>
    Paper = 1,
}

/// <summary>Re-initialises the T2R feature maps of a model (the <c>feature_weight</c> and <c>feature_bias</c> of its learned-feature layers).</summary>
public static class LearnedReluInitialiser
{
    /// <summary>Suffixes of the feature map's parameter names, as the generator emits them.</summary>
    public const string WeightSuffix = "attn.feature_weight", BiasSuffix = "attn.feature_bias";

    /// <summary>
    /// Sets every T2R feature map of <paramref name="model"/> to a fresh draw of <paramref name="initialisation"/> from
    /// torch's generator, leaving every other weight as it is, and returns the names of the parameters it set. Call it
    /// right after <c>ConvertFrom</c>: it replaces what finetuning has learned.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no T2R feature map (no <c>Kernel = FeatureMap.LearnedRelu</c> layer).</exception>
    public static IReadOnlyList<string> Apply(nn.Module model, LearnedReluInitialisation initialisation)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = new List<string>();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool isWeight = name.EndsWith(WeightSuffix, StringComparison.Ordinal);
            if (!isWeight && !name.EndsWith(BiasSuffix, StringComparison.Ordinal))
                continue;
            // W is [heads, features, headDim]; b is [heads, features] and takes its layer's headDim.
            long headDim = isWeight ? parameter.shape[^1] : HeadDimOf(model, name);
            double bound = 1 / Math.Sqrt(headDim);
            switch (initialisation)
            {
                case LearnedReluInitialisation.Normal when isWeight:
                    nn.init.normal_(parameter, 0, bound);
                    break;
                case LearnedReluInitialisation.Normal:
                    nn.init.zeros_(parameter);
                    break;
                case LearnedReluInitialisation.Paper:
                    nn.init.uniform_(parameter, -bound, bound);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(initialisation), initialisation, $"Expected one of {string.Join(", ", Enum.GetNames<LearnedReluInitialisation>())}.");
            }
            set.Add(name);
        }
        if (set.Count == 0)
            throw new ArgumentException(
                $"{model.GetName()} has no T2R feature map (no parameter named *.{WeightSuffix} or *.{BiasSuffix}); only layers declared with Kernel = FeatureMap.LearnedRelu have one.", nameof(model));
        return set;
    }

    private static long HeadDimOf(nn.Module model, string biasName)
    {
        string weightName = biasName[..^BiasSuffix.Length] + WeightSuffix;
        return model.named_parameters().First(p => p.name == weightName).parameter.shape[^1];
    }
}
