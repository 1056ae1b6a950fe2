using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// What a fused chunk kernel reads of the sorting (see <see cref="SortedChunks"/>): the position of each sorted row,
/// <c>[batch, heads, rounds · length]</c>, and each position's chunk in each round, <c>[batch, heads, rounds, length]</c>,
/// both contiguous int64, with the sizes they imply. A family's kernel arguments carry their pointers next to its own
/// mask inputs (<see cref="Lsh.LshChunkArguments"/> for LSH).
/// </summary>
/// <param name="Positions">The position of each sorted row.</param>
/// <param name="ChunkOf">Each position's chunk within each round.</param>
/// <param name="ChunkSize">Positions per chunk.</param>
public sealed record SortedChunkPlan(Tensor Positions, Tensor ChunkOf, int ChunkSize)
{
    /// <summary>Rounds of sorting.</summary>
    public int Rounds => (int)ChunkOf.shape[2];

    /// <summary>Positions per round.</summary>
    public int Length => (int)ChunkOf.shape[3];

    /// <summary>Chunks per round.</summary>
    public int ChunksPerRound => Length / ChunkSize;

    /// <summary>The plan of index tensors made elsewhere: contiguous handles to them (copies only where they are not).</summary>
    public static SortedChunkPlan Of(Tensor positions, Tensor chunkOf, int chunkSize) =>
        new(positions.contiguous(), chunkOf.contiguous(), chunkSize);
}
