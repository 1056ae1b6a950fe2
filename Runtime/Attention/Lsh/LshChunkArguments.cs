using XformerDsl.Kernels;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// What the bucketed chunk kernel of LSH attention reads besides the sorted queries, keys and values (which travel in
/// <see cref="AttentionForwardArguments{T}"/> with Queries = Keys = rounds · length): where each sorted row came from,
/// and where every position sits in every round, for the masks and the duplicate count.
/// </summary>
public readonly unsafe struct LshChunkArguments
{
    /// <summary><c>[batch · heads, rounds · length]</c>: the position of each sorted row.</summary>
    public required long* Positions { get; init; }

    /// <summary><c>[batch · heads, rounds, length]</c>: the chunk (within its round) of each position in each round.</summary>
    public required long* ChunkOf { get; init; }

    /// <summary><c>[batch, length]</c> bytes: nonzero where the position is a real, visible key.</summary>
    public required byte* Valid { get; init; }

    /// <summary>Hashing rounds.</summary>
    public required int Rounds { get; init; }

    /// <summary>The padded length: positions per round.</summary>
    public required int Length { get; init; }

    /// <summary>Chunks per round: Length / BucketSize.</summary>
    public required int ChunksPerRound { get; init; }

    /// <summary>Heads per batch element (to find a row's batch element).</summary>
    public required int Heads { get; init; }

    /// <summary>Later positions are hidden.</summary>
    public required bool Causal { get; init; }
}
