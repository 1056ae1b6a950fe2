using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// A batch of language-model training windows: <see cref="Inputs"/> <c>[batch, seq]</c> and the next-token
/// <see cref="Targets"/> <c>[batch, seq]</c> (the same windows shifted one token to the left), both int64.
/// Created inside a dispose scope, both tensors belong to it; otherwise dispose the batch.
/// </summary>
/// <param name="Inputs">Token ids <c>[batch, seq]</c>.</param>
/// <param name="Targets">For each input position, the id of the token that follows it, <c>[batch, seq]</c>.</param>
public sealed record TokenBatch(Tensor Inputs, Tensor Targets) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Draws random contiguous windows of a token stream as batches for next-token prediction.
/// Two samplers over the same tokens with the same seed draw the same batches.
/// </summary>
public sealed class BatchSampler
{
    private readonly ReadOnlyMemory<long> _tokens;
    private readonly Random _random;

    /// <summary>Creates a sampler over <paramref name="tokens"/>.</summary>
    /// <param name="tokens">The token stream; needs at least <paramref name="sequenceLength"/> + 1 tokens.</param>
    /// <param name="batchSize">Windows per batch.</param>
    /// <param name="sequenceLength">Tokens per window (the model's input length).</param>
    /// <param name="seed">Seed of the window offsets.</param>
    /// <exception cref="ArgumentException">The stream is shorter than one window plus its target.</exception>
    public BatchSampler(ReadOnlyMemory<long> tokens, int batchSize, int sequenceLength, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        if (tokens.Length < sequenceLength + 1)
            throw new ArgumentException($"The token stream has {tokens.Length} tokens; a window of {sequenceLength} needs at least {sequenceLength + 1}. Use more text or a shorter sequence length.", nameof(tokens));
        _tokens = tokens;
        _random = new Random(seed);
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
    }

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per window.</summary>
    public int SequenceLength { get; }

    /// <summary>
    /// Windows drawn so far: the sampler's position in its sequence of batches. A new sampler over the same tokens with the
    /// same seed and batch shape, moved to this position with <see cref="Seek"/>, draws the batches this one would draw next.
    /// </summary>
    public long Position { get; private set; }

    /// <summary>
    /// Moves a sampler that has drawn nothing yet to <paramref name="position"/> (a <see cref="Position"/> of another
    /// sampler with the same tokens, seed and batch shape) by drawing and discarding that many windows.
    /// </summary>
    /// <exception cref="InvalidOperationException">This sampler has drawn windows already.</exception>
    public void Seek(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (Position != 0)
            throw new InvalidOperationException($"Seek moves a fresh sampler; this one has drawn {Position} windows already.");
        for (long i = 0; i < position; i++)
            _random.Next(WindowCount);
        Position = position;
    }

    /// <summary>How many distinct window offsets the stream has.</summary>
    public int WindowCount => _tokens.Length - SequenceLength;

    /// <summary>The start offsets of the next batch's windows, uniform over <c>0..WindowCount-1</c>.</summary>
    public int[] NextOffsets()
    {
        var offsets = new int[BatchSize];
        for (int b = 0; b < offsets.Length; b++)
            offsets[b] = _random.Next(WindowCount);
        Position += offsets.Length;
        return offsets;
    }

    /// <summary>The next random batch.</summary>
    public TokenBatch Next() => FromOffsets(_tokens.Span, NextOffsets(), SequenceLength);

    /// <summary>
    /// The batch of windows starting at <paramref name="offsets"/>: row b of the inputs is
    /// <c>tokens[offsets[b] .. offsets[b] + seq)</c> and row b of the targets is the same window one token later.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A window with its target runs past the end of the stream.</exception>
    public static TokenBatch FromOffsets(ReadOnlySpan<long> tokens, ReadOnlySpan<int> offsets, int sequenceLength)
    {
        var inputs = new long[offsets.Length * sequenceLength];
        var targets = new long[offsets.Length * sequenceLength];
        for (int b = 0; b < offsets.Length; b++)
        {
            int start = offsets[b];
            if (start < 0 || start + sequenceLength + 1 > tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(offsets), start, $"A window of {sequenceLength} tokens and its target starting at {start} does not fit in {tokens.Length} tokens.");
            tokens.Slice(start, sequenceLength).CopyTo(inputs.AsSpan(b * sequenceLength));
            tokens.Slice(start + 1, sequenceLength).CopyTo(targets.AsSpan(b * sequenceLength));
        }
        long[] shape = [offsets.Length, sequenceLength];
        return new TokenBatch(torch.tensor(inputs, shape), torch.tensor(targets, shape));
    }
}
