using TorchSharp;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// A batch corrupted for masked-token training: the model's <see cref="Inputs"/> and the <see cref="Labels"/> to recover,
/// both int64 <c>[batch, seq]</c>. Created inside a dispose scope, both tensors belong to it; otherwise dispose the batch.
/// </summary>
/// <param name="Inputs">The tokens with the selected positions replaced (by the mask token, a random token, or themselves).</param>
/// <param name="Labels">The original token at each selected position; <see cref="TrainingObjective.IgnoredLabel"/> elsewhere.</param>
public sealed record MaskedBatch(Tensor Inputs, Tensor Labels) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Masked-token prediction (BERT, Devlin et al., 2019), for encoders with a masked-language-model head: of each sequence's real
/// tokens, <see cref="SelectFraction"/> (15 %, rounded, at least one) are selected at random; of those,
/// <see cref="MaskFraction"/> (80 %) are replaced by <see cref="MaskToken"/>, <see cref="RandomFraction"/> (10 %) by a random
/// token, and the rest (10 %) left unchanged; the loss is the cross-entropy at the selected positions only. The corruption of
/// a batch is a pure function of the tokens, the seed and the step (<see cref="Corrupt"/>), so a resumed run masks as the
/// uninterrupted one did.
/// </summary>
/// <param name="MaskToken">The mask token's id (the declaration's <c>MaskedLanguageModelHeadSpec.MaskToken</c>).</param>
public sealed record MaskedTokenObjective(int MaskToken) : TrainingObjective
{
    /// <summary>Fraction of each sequence's real tokens selected for prediction.</summary>
    public double SelectFraction { get; init; } = 0.15;

    /// <summary>Fraction of the selected tokens replaced by <see cref="MaskToken"/>.</summary>
    public double MaskFraction { get; init; } = 0.8;

    /// <summary>Fraction of the selected tokens replaced by a token drawn uniformly from the vocabulary; the rest stay unchanged.</summary>
    public double RandomFraction { get; init; } = 0.1;

    /// <summary>The objective and its settings, culture-invariant (stored in checkpoints and compared on resume).</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{nameof(MaskedTokenObjective)} {{ {nameof(MaskToken)} = {MaskToken}, {nameof(SelectFraction)} = {SelectFraction:R}, {nameof(MaskFraction)} = {MaskFraction:R}, {nameof(RandomFraction)} = {RandomFraction:R} }}");

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range for a vocabulary of <paramref name="vocab"/>.</summary>
    public void Validate(long vocab)
    {
        if (MaskToken < 0 || MaskToken >= vocab)
            throw new ArgumentException($"{nameof(MaskToken)} = {MaskToken} is out of range: the model's vocabulary is [0, {vocab}). Declare a mask token id inside it.", nameof(MaskToken));
        if (SelectFraction is <= 0 or > 1)
            throw new ArgumentException($"{nameof(SelectFraction)} = {SelectFraction} is out of range: must be in (0, 1].", nameof(SelectFraction));
        if (MaskFraction is < 0 or > 1 || RandomFraction is < 0 or > 1 || MaskFraction + RandomFraction > 1)
            throw new ArgumentException($"{nameof(MaskFraction)} = {MaskFraction} and {nameof(RandomFraction)} = {RandomFraction} are out of range: each must be in [0, 1] and their sum at most 1.", nameof(MaskFraction));
    }

    /// <summary>
    /// Corrupts <paramref name="tokens"/> for one step: a pure function of the tokens, <paramref name="seed"/> and
    /// <paramref name="step"/>. Padding (false in <paramref name="realTokens"/>) is never selected nor changed.
    /// </summary>
    /// <param name="tokens">Token ids, int64 <c>[batch, seq]</c>.</param>
    /// <param name="realTokens">Bool <c>[batch, seq]</c>, true for real tokens; null means every token is real.</param>
    /// <param name="vocab">The vocabulary size random replacements are drawn from.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="step">The step (or validation batch) the corruption is for.</param>
    /// <exception cref="ArgumentException">The tokens are not int64 <c>[batch, seq]</c>, the mask does not match them, or a setting is out of range.</exception>
    public MaskedBatch Corrupt(Tensor tokens, Tensor? realTokens, long vocab, long seed, long step)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Validate(vocab);
        if (tokens.dim() != 2 || tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"{nameof(MaskedTokenObjective)}.{nameof(Corrupt)}: tokens must be int64 [batch, seq]; got {tokens.dtype} of shape {ModelInputs.Shape(tokens)}.", nameof(tokens));
        if (realTokens is not null && (realTokens.dtype != ScalarType.Bool || !realTokens.shape.SequenceEqual(tokens.shape)))
            throw new ArgumentException($"{nameof(MaskedTokenObjective)}.{nameof(Corrupt)}: realTokens must be bool shaped like tokens, {ModelInputs.Shape(tokens)}; got {realTokens.dtype} of shape {ModelInputs.Shape(realTokens)}.", nameof(realTokens));
        int batch = (int)tokens.shape[0], seq = (int)tokens.shape[1];
        var inputs = tokens.cpu().data<long>().ToArray();
        var real = realTokens?.cpu().data<bool>().ToArray();
        var labels = new long[inputs.Length];
        Array.Fill(labels, IgnoredLabel);
        var random = new SplitMix64(SplitMix64.Mix(seed, step));
        var candidates = new int[seq];
        for (int b = 0; b < batch; b++)
        {
            int count = 0;
            for (int t = 0; t < seq; t++)
                if (real is null || real[b * seq + t])
                    candidates[count++] = b * seq + t;
            if (count == 0) continue;
            int selected = Math.Clamp((int)Math.Round(SelectFraction * count, MidpointRounding.AwayFromZero), 1, count);
            // A partial Fisher–Yates shuffle: the first `selected` candidates become a uniform sample without replacement.
            for (int i = 0; i < selected; i++)
            {
                int j = i + random.Next(count - i);
                (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
                int at = candidates[i];
                labels[at] = inputs[at];
                double u = random.NextDouble();
                if (u < MaskFraction)
                    inputs[at] = MaskToken;
                else if (u < MaskFraction + RandomFraction)
                    inputs[at] = random.Next(vocab);
            }
        }
        long[] shape = [batch, seq];
        return new MaskedBatch(torch.tensor(inputs, shape).to(tokens.device), torch.tensor(labels, shape).to(tokens.device));
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> <c>[batch, seq, vocab]</c> at the selected positions of
    /// <paramref name="labels"/> <c>[batch, seq]</c> (the others hold <see cref="TrainingObjective.IgnoredLabel"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not match; the message shows both.</exception>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"A masked language model's logits must be [batch, seq, vocab] for labels [batch, seq] = {ModelInputs.Shape(labels)}; got {ModelInputs.Shape(logits)}.");
        return CrossEntropy(logits.reshape(-1, logits.shape[2]), labels.reshape(-1));
    }
}

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny generator whose stream is fixed by its seed on every platform and .NET
/// version, for draws that must be a pure function of (seed, step).
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    /// <summary>A seed from two numbers, mixed so nearby pairs give unrelated streams.</summary>
    public static ulong Mix(long a, long b) => Finalise(Finalise(unchecked((ulong)a)) ^ unchecked((ulong)b * 0x9E3779B97F4A7C15UL));

    public ulong NextUInt64() => Finalise(_state = unchecked(_state + 0x9E3779B97F4A7C15UL));

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="bound"/>) (multiply-shift; the bias is below 2⁻³⁰ for the bounds used here).</summary>
    public int Next(int bound) => (int)(((NextUInt64() >> 32) * (ulong)bound) >> 32);

    /// <summary>Uniform in [0, <paramref name="bound"/>).</summary>
    public long Next(long bound) => (long)(NextUInt64() % (ulong)bound);

    private static ulong Finalise(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
