using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// Which parameters AdamW decays: weight matrices of linear and attention projections, but not biases,
/// normalisation weights (vectors) or embedding tables (decay would pull rarely seen tokens' rows to zero).
/// </summary>
public static class WeightDecayPolicy
{
    /// <summary>
    /// Whether the parameter named <paramref name="name"/> with <paramref name="dimensions"/> dimensions is decayed:
    /// it is a matrix or larger, is not owned by an embedding module, and no segment of its dotted name mentions an
    /// embedding (<c>emb</c>, <c>wte</c>, <c>wpe</c>).
    /// </summary>
    public static bool Decays(string name, long dimensions, bool ownedByEmbedding) =>
        dimensions >= 2 && !ownedByEmbedding && !NamesAnEmbedding(name);

    /// <summary>
    /// The trainable parameters of <paramref name="model"/> split into those to decay and those not to, by <see cref="Decays"/>.
    /// Shared (tied) parameters appear once; a tied output projection shares its embedding's fate.
    /// </summary>
    public static (IReadOnlyList<(string Name, Parameter Parameter)> Decayed, IReadOnlyList<(string Name, Parameter Parameter)> NotDecayed) Split(nn.Module model)
    {
        var embeddingPrefixes = model.named_modules()
            .Where(m => m.module is Embedding or EmbeddingBag)
            .Select(m => m.name + ".")
            .ToArray();
        var decayed = new List<(string, Parameter)>();
        var notDecayed = new List<(string, Parameter)>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad)
                continue;
            bool ownedByEmbedding = embeddingPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
            (Decays(name, parameter.dim(), ownedByEmbedding) ? decayed : notDecayed).Add((name, parameter));
        }
        return (decayed, notDecayed);
    }

    private static bool NamesAnEmbedding(string name) =>
        name.Split('.').Any(segment =>
            segment.Contains("emb", StringComparison.OrdinalIgnoreCase)
            || segment.Equals("wte", StringComparison.OrdinalIgnoreCase)
            || segment.Equals("wpe", StringComparison.OrdinalIgnoreCase));
}
