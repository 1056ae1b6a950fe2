using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// A token stream read in consecutive segments by a model with segment recurrence (Transformer-XL, Dai et al., 2019,
/// §3.2), as the reference's <c>LMOrderedIterator</c> reads it: the stream is cut into <c>batch</c> equal rows, each row
/// a stream of its own, and each step takes the next segment of every row, the memory carrying the rows' earlier
/// segments. The trainer trains such models this way; <see cref="Loss"/> evaluates them with any memory length.
/// </summary>
public static class SegmentStream
{
    /// <summary>
    /// The stream as <paramref name="batch"/> rows of equal length, <c>[batch, tokens / batch]</c> int64 (the tail that
    /// does not fill a row is dropped).
    /// </summary>
    /// <exception cref="ArgumentException">When the stream has fewer than two tokens per row.</exception>
    public static Tensor Rows(ReadOnlySpan<long> tokens, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        long perRow = tokens.Length / batch;
        if (perRow < 2)
            throw new ArgumentException($"A stream of {tokens.Length} tokens cut into {batch} rows leaves {perRow} tokens per row; segments need at least 2 (an input and its next token). Give more text or a smaller batch.", nameof(tokens));
        return tensor(tokens[..(int)(perRow * batch)].ToArray(), new[] { (long)batch, perRow }, ScalarType.Int64);
    }

    /// <summary>How many whole segments of <paramref name="segmentLength"/> (each with its next-token targets) a row of <paramref name="rowLength"/> tokens holds.</summary>
    public static long Segments(long rowLength, int segmentLength) => (rowLength - 1) / segmentLength;

    /// <summary>Segment <paramref name="index"/> of every row: the inputs and their next tokens, <c>[batch, segmentLength]</c> each.</summary>
    public static (Tensor Inputs, Tensor Targets) Segment(Tensor rows, long index, int segmentLength)
    {
        long start = index * segmentLength;
        return (rows[.., (int)start..(int)(start + segmentLength)], rows[.., (int)(start + 1)..(int)(start + segmentLength + 1)]);
    }

    /// <summary>
    /// The mean next-token loss (nats per token) over the consecutive segments of <paramref name="tokens"/>, cut into
    /// <paramref name="batch"/> rows, each segment attending to a memory of the last <paramref name="memoryLength"/>
    /// positions before it (0: every segment alone). In evaluation mode, without gradients; the model's mode is restored.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="tokens">The stream.</param>
    /// <param name="batch">Rows read side by side.</param>
    /// <param name="segmentLength">Tokens per segment, at most the model's MaxLength.</param>
    /// <param name="memoryLength">Positions each layer keeps; may exceed the declared Memory.</param>
    /// <param name="maxSegments">Null for every segment, or the first this many.</param>
    /// <param name="compressedLength">
    /// A Compressive Transformer's compressed slots per layer: null for the declared number, or any other (0: none).
    /// </param>
    public static double Loss(ISegmentRecurrentModel model, ReadOnlyMemory<long> tokens, int batch, int segmentLength, int memoryLength, long? maxSegments = null, int? compressedLength = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentLength);
        var module = (nn.Module)model;
        return TaskHelpers.Evaluating(module, () =>
        {
            using var rows = Rows(tokens.Span, batch);
            long segments = Math.Min(Segments(rows.shape[1], segmentLength), maxSegments ?? long.MaxValue);
            if (segments < 1)
                throw new ArgumentException($"A row of {rows.shape[1]} tokens holds no segment of {segmentLength} tokens and its targets; give more text, fewer rows or shorter segments.", nameof(tokens));
            using var memory = compressedLength is int compressed ? model.CreateMemory(memoryLength, compressed) : model.CreateMemory(memoryLength);
            double sum = 0;
            for (long i = 0; i < segments; i++)
            {
                using var scope = NewDisposeScope();
                var (inputs, targets) = Segment(rows, i, segmentLength);
                sum += Trainer.LanguageModelLoss(model.forward(inputs, null, memory), targets).to(ScalarType.Float64).item<double>();
            }
            return sum / segments;
        });
    }
}

/// <summary>
/// Next-token training of a segment-recurrent model on consecutive segments (<see cref="SegmentStream"/>): the memory
/// is carried from step to step and emptied when the rows start over (each epoch) and on resuming (a checkpoint holds
/// no memory). Validation reads the first <see cref="TrainingOptions.EvaluationBatches"/> segments of the validation
/// stream with a fresh memory of the declared length.
/// </summary>
internal sealed class SegmentStreamTask : ITrainingTask
{
    private readonly ISegmentRecurrentModel _model;
    private readonly ReadOnlyMemory<long> _train, _validation;
    private readonly TrainingOptions _options;
    private readonly Tensor _rows;
    private readonly long _segmentsPerEpoch;
    private readonly int _memoryLength;
    private readonly SegmentMemory _memory;

    public SegmentStreamTask(ISegmentRecurrentModel model, ReadOnlyMemory<long> train, ReadOnlyMemory<long> validation, TrainingOptions options)
    {
        _model = model;
        _train = train;
        _validation = validation;
        _options = options;
        _rows = Rows(train, options).DetachFromDisposeScope();
        _segmentsPerEpoch = SegmentStream.Segments(_rows.shape[1], options.SequenceLength);
        if (_segmentsPerEpoch < 1)
            throw new ArgumentException($"The training text of {train.Length:N0} tokens in {options.BatchSize} rows holds no segment of SequenceLength = {options.SequenceLength} tokens; give more text or lower BatchSize or SequenceLength.", nameof(train));
        _memoryLength = DeclaredMemory(model);
        _memory = model.CreateMemory(_memoryLength);
    }

    // The memory length the declaration gives (CreateMemory's default).
    private static int DeclaredMemory(ISegmentRecurrentModel model) =>
        model.Declaration.Attention.Select(d => d.Attention).OfType<Specs.SegmentRecurrenceSpec>().FirstOrDefault()?.Memory ?? 0;

    private static Tensor Rows(ReadOnlyMemory<long> tokens, TrainingOptions options) => SegmentStream.Rows(tokens.Span, options.BatchSize);

    public TrainingObjective Objective => NextTokenObjective.Instance;

    public string DataNoun => "training tokens";

    public long DataCount => _train.Length;

    public string DataChecksum() => Checkpoint.ChecksumOfBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_train.Span));

    public long Position { get; private set; }

    public void Seek(long position)
    {
        Position = position;
        _memory.Reset();
    }

    public bool HasValidation => _options.EvaluationBatches > 0 && _validation.Length / _options.BatchSize > _options.SequenceLength;

    public (Tensor Loss, long Tokens) NextLoss(int step)
    {
        long index = Position % _segmentsPerEpoch;
        if (index == 0)
            _memory.Reset();   // the rows start over: earlier segments are not this one's past
        Position++;
        var (inputs, targets) = SegmentStream.Segment(_rows, index, _options.SequenceLength);
        return (Trainer.LanguageModelLoss(_model.forward(inputs, null, _memory), targets), inputs.numel());
    }

    public ValidationResult Validate() =>
        new(SegmentStream.Loss(_model, _validation, _options.BatchSize, _options.SequenceLength, _memoryLength, _options.EvaluationBatches), null);
}
