using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>The file format of a checkpoint's weights, chosen by the file's extension.</summary>
public enum CheckpointFormat
{
    /// <summary><c>.safetensors</c>: Hugging Face's safetensors, read in Python with <c>safetensors.torch.load_file</c>.</summary>
    Safetensors,

    /// <summary><c>.pt</c>, <c>.pth</c>, <c>.bin</c> or <c>.ckpt</c>: PyTorch's zip format, read in Python with <c>torch.load</c>.</summary>
    PyTorch,
}

/// <summary>
/// What a checkpoint's JSON sidecar records beside the weights, so a person (or a script) can tell what a
/// checkpoint holds without loading it, and loading can refuse weights that do not belong to the model.
/// </summary>
/// <param name="ModelType">The model's CLR type, full name (<c>MyApp.TinyGpt</c>); loading checks it for models without a spec.</param>
/// <param name="ParameterCount">Elements in the saved parameters.</param>
/// <param name="Step">Optimizer steps the weights have had.</param>
/// <param name="InitialLoss">Training loss before the first step, if known.</param>
/// <param name="TrainLoss">Final training loss, if known.</param>
/// <param name="ValidationLoss">Final validation loss, if known.</param>
/// <param name="Training">The options the model was trained with, if known.</param>
/// <param name="SavedAt">When the checkpoint was written.</param>
public sealed record CheckpointMetadata(
    string ModelType,
    long ParameterCount,
    int Step,
    double? InitialLoss,
    double? TrainLoss,
    double? ValidationLoss,
    TrainingOptions? Training,
    DateTimeOffset SavedAt)
{
    /// <summary>The format of the weights file (set by <see cref="Checkpoint.Save"/>).</summary>
    public CheckpointFormat? Format { get; init; }

    /// <summary>
    /// The model's generated <c>Spec</c> in the form of <see cref="SpecJson.ToJson"/> (set by <see cref="Checkpoint.Save"/>);
    /// null for a module without one.
    /// </summary>
    public JsonObject? Spec { get; init; }

    /// <summary>The weights file's length in bytes (set by <see cref="Checkpoint.Save"/>).</summary>
    public long? WeightsBytes { get; init; }

    /// <summary>The weights file's checksum, <c>xxh128:</c> and 32 hex digits (set by <see cref="Checkpoint.Save"/>).</summary>
    public string? WeightsChecksum { get; init; }

    /// <summary>What a training run needs to continue from this checkpoint; null for weights saved outside a run.</summary>
    public ResumeState? Resume { get; init; }

    /// <summary>Metadata for <paramref name="model"/> after a run that produced <paramref name="report"/>.</summary>
    public static CheckpointMetadata For(nn.Module model, TrainingReport? report = null, TrainingOptions? options = null) => new(
        model.GetType().FullName ?? model.GetType().Name,
        model.parameters().Sum(p => p.numel()),
        report?.Steps ?? 0,
        Finite(report?.InitialLoss),
        Finite(report?.FinalTrainLoss),
        Finite(report?.FinalValidationLoss),
        options,
        DateTimeOffset.UtcNow)
    {
        Spec = SpecJson.SpecOf(model) is { } spec ? SpecJson.ToJson(spec) : null,
    };

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

/// <summary>
/// Saves and loads a model's weights as safetensors or in PyTorch's format (by the extension), keyed by the module's
/// PyTorch-style parameter names (<c>layers.0.attn.q_proj.weight</c>), with a JSON sidecar of
/// <see cref="CheckpointMetadata"/> next to them: <c>model.safetensors</c> and <c>model.json</c>. The sidecar records the
/// model's spec and the weights' length and checksum; loading refuses a checkpoint of a different architecture, or whose
/// weights were damaged, truncated or replaced, with a message that says which. Loading into a freshly constructed model
/// of the same type reproduces its outputs exactly.
/// </summary>
/// <remarks>
/// Every file of a save is written under a unique temporary name (<c>&lt;path&gt;.&lt;guid&gt;.tmp</c>) and flushed to disk before
/// any is renamed over its real name, the sidecar last; a save that fails while writing leaves the previous checkpoint whole
/// and no temporary files. The sidecar holds the length and checksum of the files it describes, so weights and sidecar of
/// different saves (a crash between the renames) are refused on load, never mixed.
/// </remarks>
public static class Checkpoint
{
    /// <summary>The JSON conventions of the sidecar: indented, camelCase, enums as names, NaN and infinities as names.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>For tests: wraps the stream each file is written through (to simulate a failure mid-write).</summary>
    internal static Func<Stream, Stream>? WriteStreamWrapper { get; set; }

    /// <summary>The sidecar path for the weights at <paramref name="weightsPath"/>: the same name with <c>.json</c>.</summary>
    public static string MetadataPath(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    /// <summary>The format the extension of <paramref name="weightsPath"/> selects.</summary>
    /// <exception cref="ArgumentException">The extension is none of <c>.safetensors</c>, <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>.</exception>
    public static CheckpointFormat FormatOf(string weightsPath) => Path.GetExtension(weightsPath).ToLowerInvariant() switch
    {
        ".safetensors" => CheckpointFormat.Safetensors,
        ".pt" or ".pth" or ".bin" or ".ckpt" => CheckpointFormat.PyTorch,
        var other => throw new ArgumentException(
            $"'{weightsPath}' has the extension '{other}'; name a checkpoint .safetensors (safetensors) or .pt, .pth, .bin, .ckpt (PyTorch's format).", nameof(weightsPath)),
    };

    /// <summary>
    /// Writes <paramref name="model"/>'s weights to <paramref name="weightsPath"/> in the format its extension selects and
    /// <paramref name="metadata"/> beside it (completed with the format, the model's spec and the weights' length and
    /// checksum), creating the directory if needed.
    /// </summary>
    /// <returns>The full path of the weights.</returns>
    public static string Save(nn.Module model, string weightsPath, CheckpointMetadata metadata) => SaveWith(model, weightsPath, metadata, companion: null);

    /// <summary>
    /// <see cref="Save"/> with a <paramref name="companion"/> file beside the weights (the
    /// optimizer state) whose length and checksum <c>Complete</c> adds to the metadata. All files are written and flushed under
    /// temporary names before any is renamed, the sidecar last, so a failure while writing leaves the previous checkpoint whole.
    /// </summary>
    internal static string SaveWith(nn.Module model, string weightsPath, CheckpointMetadata metadata,
        (string Path, Action<Stream> Write, Func<CheckpointMetadata, long, string, CheckpointMetadata> Complete)? companion)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        var full = Path.GetFullPath(weightsPath);
        var format = FormatOf(full);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var written = new List<(string Temporary, string Final)>();
        try
        {
            var weights = WriteTemporary(full, written, stream =>
            {
                if (format == CheckpointFormat.Safetensors)
                    model.save_safetensors(stream, leaveOpen: true);
                else
                    model.save_py(stream, leaveOpen: true);
            });
            var complete = metadata with
            {
                Format = format,
                Spec = SpecJson.SpecOf(model) is { } spec ? SpecJson.ToJson(spec) : null,
                WeightsBytes = weights.Bytes,
                WeightsChecksum = weights.Checksum,
            };
            if (companion is { } extra)
            {
                var file = WriteTemporary(Path.GetFullPath(extra.Path), written, extra.Write);
                complete = extra.Complete(complete, file.Bytes, file.Checksum);
            }
            WriteTemporary(MetadataPath(full), written, stream => JsonSerializer.Serialize(stream, complete, JsonOptions));
            for (int i = 0; i < written.Count; i++)
            {
                File.Move(written[i].Temporary, written[i].Final, overwrite: true);
                written[i] = (written[i].Final, written[i].Final);
            }
            return full;
        }
        finally
        {
            foreach (var (temporary, final) in written)
            {
                if (temporary != final)
                    TryDelete(temporary);
            }
        }
    }

    /// <summary>Reads the sidecar of the weights at <paramref name="weightsPath"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no sidecar.</exception>
    /// <exception cref="InvalidDataException">The sidecar is not valid checkpoint metadata.</exception>
    public static CheckpointMetadata ReadMetadata(string weightsPath)
    {
        var path = MetadataPath(Path.GetFullPath(weightsPath));
        if (!File.Exists(path))
            throw new FileNotFoundException($"No checkpoint metadata at '{path}'. Weights saved elsewhere (e.g. from Python) have none: load them with Checkpoint.LoadWeights.", path);
        try
        {
            return JsonSerializer.Deserialize<CheckpointMetadata>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"'{path}' holds no checkpoint metadata.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The checkpoint metadata '{path}' is not valid JSON metadata ({e.Message}); it is damaged or was not written by Checkpoint.Save.", e);
        }
    }

    /// <summary>
    /// Loads the weights at <paramref name="weightsPath"/> into <paramref name="model"/> (strictly: every parameter and buffer
    /// must match by name and shape) after checking them against the sidecar, and returns the sidecar's metadata.
    /// </summary>
    /// <exception cref="FileNotFoundException">The weights or the sidecar are missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The checkpoint was saved from a model with another spec (the message names the first differing part) or another
    /// type; or the weights' length or checksum is not the one the sidecar records (truncated, damaged, or from another save).
    /// </exception>
    public static CheckpointMetadata Load(nn.Module model, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(weightsPath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"No checkpoint at '{full}'.", full);
        var metadata = ReadMetadata(full);
        CheckArchitecture(model, full, metadata);
        Verify(full, metadata.WeightsBytes, metadata.WeightsChecksum, MetadataPath(full), "weights");
        LoadWeights(model, full, metadata.Format ?? FormatOf(full));
        return metadata;
    }

    /// <summary>
    /// Loads weights without a sidecar — a state dict saved from Python with <c>safetensors.torch.save_file</c> or
    /// <c>torch.save(model.state_dict(), …)</c> — into <paramref name="model"/>, strictly (every parameter and buffer must
    /// match by name and shape). Nothing checks that the weights come from the same architecture beyond the names and
    /// shapes; prefer <see cref="Load"/> for checkpoints written by <see cref="Save"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="weightsPath"/>.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, damaged, or its names or shapes do not match the model's.</exception>
    public static void LoadWeights(nn.Module model, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(weightsPath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"No weights at '{full}'.", full);
        LoadWeights(model, full, FormatOf(full));
    }

    private static void LoadWeights(nn.Module model, string full, CheckpointFormat format)
    {
        try
        {
            if (format == CheckpointFormat.Safetensors)
                model.load_safetensors(full, strict: true);
            else
                model.load_py(full, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            throw new InvalidDataException(
                $"Could not load the {format} weights '{full}' ({new FileInfo(full).Length:N0} bytes) into {model.GetType().Name}: {e.GetType().Name}: {e.Message} " +
                "The file is truncated or damaged, or holds another model's parameters (names and shapes must match the model's state_dict).", e);
        }
    }

    /// <summary>Refuses a checkpoint whose spec (or, without one, type) is not the model's, naming the first differing part.</summary>
    internal static void CheckArchitecture(nn.Module model, string full, CheckpointMetadata metadata)
    {
        var name = model.GetType().Name;
        var spec = SpecJson.SpecOf(model);
        if (metadata.Spec is not null && spec is not null)
        {
            if (SpecJson.FirstDifference(metadata.Spec, SpecJson.ToJson(spec)) is { } difference)
                throw new InvalidDataException(
                    $"The checkpoint '{full}' was saved from a model with {difference.Part} = {difference.Saved}, but {name} has {difference.Part} = {difference.Current}. " +
                    $"Load it into the model it was saved from (declared as in the sidecar '{MetadataPath(full)}'), or train {name} afresh.");
            return;
        }
        var type = model.GetType().FullName ?? name;
        if (metadata.ModelType != type)
            throw new InvalidDataException($"The checkpoint '{full}' holds a {metadata.ModelType}, not a {type}.");
    }

    /// <summary>Refuses a file whose length or checksum is not the recorded one.</summary>
    internal static void Verify(string full, long? expectedBytes, string? expectedChecksum, string recordedIn, string what)
    {
        long actualBytes = new FileInfo(full).Length;
        if (expectedBytes is { } expected && actualBytes != expected)
            throw new InvalidDataException(
                $"The {what} '{full}' are {actualBytes:N0} bytes, but '{recordedIn}' records {expected:N0}: the file is " +
                (actualBytes < expected ? "truncated (an interrupted copy or a full disk?)" : "longer than the one saved (replaced or appended to?)") +
                ". Restore it from the original, or save the checkpoint again.");
        if (expectedChecksum is null)
            return;
        var actualChecksum = ChecksumOf(full);
        if (!string.Equals(actualChecksum, expectedChecksum, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"The {what} '{full}' have checksum {actualChecksum}, but '{recordedIn}' records {expectedChecksum}: the file was damaged or " +
                "replaced since it was saved (or belongs to another save). Restore it from the original, or save the checkpoint again.");
    }

    /// <summary>The checksum <see cref="Save"/> records: <c>xxh128:</c> and the XXH128 of the file's bytes in hex.</summary>
    public static string ChecksumOf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var hash = new XxHash128();
        hash.Append(stream);
        return ChecksumText(hash.GetCurrentHash());
    }

    /// <summary>The checksum of bytes in memory, in the form of <see cref="ChecksumOf(string)"/>.</summary>
    internal static string ChecksumOfBytes(ReadOnlySpan<byte> bytes) => ChecksumText(XxHash128.Hash(bytes));

    private static string ChecksumText(byte[] hash) => "xxh128:" + Convert.ToHexStringLower(hash);

    /// <summary>
    /// Writes <c>&lt;path&gt;.&lt;guid&gt;.tmp</c> through <paramref name="write"/> and flushes it to disk, adding it to
    /// <paramref name="written"/> (to be renamed over <paramref name="path"/>, or deleted); deletes it if writing fails.
    /// </summary>
    /// <returns>The file's length and checksum.</returns>
    private static (long Bytes, string Checksum) WriteTemporary(string path, List<(string Temporary, string Final)> written, Action<Stream> write)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        written.Add((temporary, path));
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
        {
            var stream = WriteStreamWrapper?.Invoke(file) ?? file;
            write(stream);
            stream.Flush();
            file.Flush(flushToDisk: true);
        }
        return (new FileInfo(temporary).Length, ChecksumOf(temporary));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
