namespace XformerDsl.Training;

/// <summary>
/// Draws batches of example indices from a dataset of <see cref="Count"/> examples in epochs: each epoch visits every
/// example once, in a fresh random order (a batch may span two epochs). Two samplers with the same count, batch size and
/// seed draw the same batches.
/// </summary>
public sealed class ExampleSampler
{
    private readonly Random _random;
    private readonly int[] _order;
    private int _next;

    /// <summary>Creates a sampler over <paramref name="count"/> examples.</summary>
    /// <param name="count">Examples in the dataset; at least one.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="seed">Seed of the epochs' orders.</param>
    /// <exception cref="ArgumentException">The dataset is empty.</exception>
    public ExampleSampler(int count, int batchSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (count <= 0)
            throw new ArgumentException("The training data has no examples; give at least one.", nameof(count));
        _random = new Random(seed);
        _order = new int[count];
        _next = count;   // the first draw starts an epoch
        BatchSize = batchSize;
    }

    /// <summary>Examples in the dataset.</summary>
    public int Count => _order.Length;

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Examples drawn so far: a fresh sampler moved here with <see cref="Seek"/> draws the batches this one draws next.</summary>
    public long Position { get; private set; }

    /// <summary>Moves a sampler that has drawn nothing yet to <paramref name="position"/> by drawing and discarding that many examples.</summary>
    /// <exception cref="InvalidOperationException">This sampler has drawn examples already.</exception>
    public void Seek(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (Position != 0)
            throw new InvalidOperationException($"Seek moves a fresh sampler; this one has drawn {Position} examples already.");
        for (long i = 0; i < position; i++)
            NextIndex();
    }

    /// <summary>The indices of the next batch's examples.</summary>
    public int[] NextIndices()
    {
        var indices = new int[BatchSize];
        for (int b = 0; b < indices.Length; b++)
            indices[b] = NextIndex();
        return indices;
    }

    private int NextIndex()
    {
        if (_next == _order.Length)
        {
            for (int i = 0; i < _order.Length; i++)
                _order[i] = i;
            _random.Shuffle(_order);
            _next = 0;
        }
        Position++;
        return _order[_next++];
    }
}
