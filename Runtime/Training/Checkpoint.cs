using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// What a checkpoint's JSON sidecar records beside the weights, so a person (or a script) can tell what a
/// checkpoint holds without loading it.
/// </summary>
/// <param name="ModelType">The model's CLR type, full name (<c>MyApp.TinyGpt</c>); loading checks it.</param>
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
    /// <summary>Metadata for <paramref name="model"/> after a run that produced <paramref name="report"/>.</summary>
    public static CheckpointMetadata For(nn.Module model, TrainingReport? report = null, TrainingOptions? options = null) => new(
        model.GetType().FullName ?? model.GetType().Name,
        model.parameters().Sum(p => p.numel()),
        report?.Steps ?? 0,
        Finite(report?.InitialLoss),
        Finite(report?.FinalTrainLoss),
        Finite(report?.FinalValidationLoss),
        options,
        DateTimeOffset.UtcNow);

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

/// <summary>
/// Saves and loads a model's state dict (TorchSharp's format) with a JSON sidecar of <see cref="CheckpointMetadata"/>
/// next to it: <c>model.ckpt</c> and <c>model.json</c>. Loading into a freshly constructed model of the same type
/// reproduces its outputs exactly.
/// </summary>
public static class Checkpoint
{
    /// <summary>The JSON conventions of the sidecar: indented, camelCase, enums as names.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The sidecar path for the weights at <paramref name="weightsPath"/>: the same name with <c>.json</c>.</summary>
    public static string MetadataPath(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict to <paramref name="weightsPath"/> and <paramref name="metadata"/> beside it,
    /// creating the directory if needed. Each file is written to a temporary name first and then moved over, so an
    /// interrupted save never leaves a truncated checkpoint under the real name.
    /// </summary>
    /// <returns>The full path of the weights.</returns>
    public static string Save(nn.Module model, string weightsPath, CheckpointMetadata metadata)
    {
        var full = Path.GetFullPath(weightsPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        model.save(temporary);
        File.Move(temporary, full, overwrite: true);
        var metadataPath = MetadataPath(full);
        File.WriteAllText(metadataPath + ".tmp", JsonSerializer.Serialize(metadata, JsonOptions));
        File.Move(metadataPath + ".tmp", metadataPath, overwrite: true);
        return full;
    }

    /// <summary>Reads the sidecar of the weights at <paramref name="weightsPath"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no sidecar.</exception>
    public static CheckpointMetadata ReadMetadata(string weightsPath)
    {
        var path = MetadataPath(Path.GetFullPath(weightsPath));
        if (!File.Exists(path))
            throw new FileNotFoundException($"No checkpoint metadata at '{path}'.", path);
        return JsonSerializer.Deserialize<CheckpointMetadata>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"'{path}' holds no checkpoint metadata.");
    }

    /// <summary>
    /// Loads the weights at <paramref name="weightsPath"/> into <paramref name="model"/> (strictly: every parameter and buffer
    /// must match by name and shape) and returns the sidecar's metadata.
    /// </summary>
    /// <exception cref="FileNotFoundException">The weights or the sidecar are missing.</exception>
    /// <exception cref="InvalidDataException">The checkpoint was saved from a model of another type.</exception>
    public static CheckpointMetadata Load(nn.Module model, string weightsPath)
    {
        var full = Path.GetFullPath(weightsPath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"No checkpoint at '{full}'.", full);
        var metadata = ReadMetadata(full);
        var type = model.GetType().FullName ?? model.GetType().Name;
        if (metadata.ModelType != type)
            throw new InvalidDataException($"The checkpoint '{full}' holds a {metadata.ModelType}, not a {type}.");
        model.load(full, strict: true);
        return metadata;
    }
}
