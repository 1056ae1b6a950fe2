using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>What <see cref="WeightTransfer.CopyShared"/> did: the weights it copied and those the target has on its own.</summary>
/// <param name="Copied">State-dict entries present in both models with the same shape, copied from the source.</param>
/// <param name="New">Entries only the target has (for T2R: each layer's <c>attn.feature_weight</c> and <c>attn.feature_bias</c>); they keep their initialisation.</param>
/// <param name="Unused">Entries only the source has.</param>
public sealed record WeightTransferReport(IReadOnlyList<string> Copied, IReadOnlyList<string> New, IReadOnlyList<string> Unused);

/// <summary>
/// Swap-then-finetune (Kasai et al., 2021, T2R): build a model with another attention from a trained one with the same
/// frame, reusing every shared weight (embeddings, projections, feed-forward, norms), then finetune.
/// </summary>
public static class WeightTransfer
{
    /// <summary>
    /// Copies every state-dict entry (parameters and buffers) that <paramref name="source"/> and <paramref name="target"/>
    /// share by name into the target, and reports which of the target's entries are new.
    /// </summary>
    /// <exception cref="ArgumentException">When an entry of the same name has another shape in the two models (their frames differ).</exception>
    public static WeightTransferReport CopyShared(nn.Module source, nn.Module target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var from = source.state_dict();
        var to = target.state_dict();
        var mismatched = to.Keys.Where(name => from.ContainsKey(name) && !from[name].shape.SequenceEqual(to[name].shape))
            .Select(name => $"{name}: {Shape(from[name])} in {source.GetName()}, {Shape(to[name])} in {target.GetName()}")
            .ToList();
        if (mismatched.Count > 0)
            throw new ArgumentException(
                $"{source.GetName()} and {target.GetName()} share weights of different shapes, so their frames differ: {string.Join("; ", mismatched)}. " +
                "Declare the target with the source's Vocab, Dim, Depth, MaxLength (with learned positions), FeedForward, Bias and TiedEmbeddings.");
        var copied = new List<string>();
        using (no_grad())
        {
            foreach (var (name, tensor) in to)
            {
                if (!from.TryGetValue(name, out var weights))
                    continue;
                tensor.copy_(weights);
                copied.Add(name);
            }
        }
        return new WeightTransferReport(copied, to.Keys.Where(name => !from.ContainsKey(name)).ToList(), from.Keys.Where(name => !to.ContainsKey(name)).ToList());
    }

    private static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";
}
