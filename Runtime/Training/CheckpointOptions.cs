namespace XformerDsl.Training;

/// <summary>
/// Where a <see cref="Trainer"/> run saves resumable checkpoints, how often, and whether it continues from one. A checkpoint
/// is the weights at <see cref="Path"/> (safetensors or PyTorch's format, by the extension), the optimizer state beside them
/// (<c>model.optimizer.pt</c>, PyTorch's format) and the sidecar <c>model.json</c> with the spec, checksums and the
/// <see cref="ResumeState"/>.
/// </summary>
public sealed record CheckpointOptions
{
    /// <summary>The weights' path, e.g. <c>runs/tinygpt.safetensors</c>; each save replaces the previous checkpoint there.</summary>
    public required string Path { get; init; }

    /// <summary>Also save every this many steps (the run always saves at its end); 0 saves only at the end.</summary>
    public int Interval { get; init; }

    /// <summary>
    /// Continue from the checkpoint at <see cref="Path"/> when there is one (a run with no checkpoint there starts afresh).
    /// The resumed run takes exactly the steps the uninterrupted run would have: same batches, dropout masks and learning rates.
    /// </summary>
    public bool Resume { get; init; }
}
