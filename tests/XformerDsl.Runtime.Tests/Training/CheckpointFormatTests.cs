using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using XformerDsl.Tests.Models;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;
using SavedGpt = XformerDsl.Tests.Training.Saved.CkptGpt;

namespace XformerDsl.Tests.Training;

/// <summary>Safetensors and PyTorch checkpoints: round trips, names, and what loading refuses.</summary>
public sealed class CheckpointFormatTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xf-ckpt-fmt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Tensor Logits(nn.Module<Tensor, Tensor> model)
    {
        model.eval();
        using var _ = torch.no_grad();
        var ids = torch.arange(0, 8, dtype: ScalarType.Int64).remainder(16).reshape(1, 8);
        return model.forward(ids);
    }

    [Theory]
    [InlineData("m.safetensors")]
    [InlineData("m.pt")]
    public void A_fresh_model_loaded_from_either_format_gives_exactly_the_same_logits_and_the_file_is_keyed_by_the_state_dict_names(string file)
    {
        torch.manual_seed(3);
        using var saved = new TinyLlama();
        var path = Checkpoint.Save(saved, Path.Combine(_directory, file), CheckpointMetadata.For(saved));
        torch.manual_seed(4);
        using var fresh = new TinyLlama();
        Assert.False(Logits(fresh).eq(Logits(saved)).all().item<bool>());

        var metadata = Checkpoint.Load(fresh, path);

        Assert.True(Logits(fresh).eq(Logits(saved)).all().item<bool>());
        var names = saved.state_dict().Keys.Order().ToArray();
        var keys = (file.EndsWith(".pt") ? PyTorchUnpickler.UnpickleStateDict(path).Keys.Cast<string>() : Safetensors.LoadStateDict(path).Keys).Order().ToArray();
        Assert.Equal(names, keys);
        Assert.Contains("layers.0.attn.q_proj.weight", keys);
        Assert.Equal(file.EndsWith(".pt") ? CheckpointFormat.PyTorch : CheckpointFormat.Safetensors, metadata.Format);
        Assert.StartsWith("xxh128:", metadata.WeightsChecksum);
        Assert.Equal(new FileInfo(path).Length, metadata.WeightsBytes);
        Assert.Equal("TinyLlama", metadata.Spec?["Name"]?.GetValue<string>());
    }

    [Fact]
    public void The_files_are_what_python_reads_a_safetensors_header_and_a_torch_zip_with_a_pickle()
    {
        using var model = new TinyGpt2();
        var safetensors = Checkpoint.Save(model, Path.Combine(_directory, "m.safetensors"), CheckpointMetadata.For(model));
        var bytes = File.ReadAllBytes(safetensors);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        var embedding = header.RootElement.GetProperty("token_embedding.weight");
        Assert.Equal("F32", embedding.GetProperty("dtype").GetString());
        Assert.Equal([16, 16], embedding.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));

        var pt = Checkpoint.Save(model, Path.Combine(_directory, "m.pt"), CheckpointMetadata.For(model));
        using var zip = ZipFile.OpenRead(pt);
        Assert.Contains(zip.Entries, e => e.FullName.EndsWith("data.pkl"));
    }

    [Fact]
    public void Weights_saved_without_a_sidecar_as_python_would_load_with_LoadWeights()
    {
        torch.manual_seed(5);
        using var saved = new TinyGpt2();
        var path = Path.Combine(_directory, "from-python.safetensors");
        saved.save_safetensors(path);
        using var fresh = new TinyGpt2();

        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(fresh, path));
        Checkpoint.LoadWeights(fresh, path);

        Assert.True(Logits(fresh).eq(Logits(saved)).all().item<bool>());
    }

    [Fact]
    public void A_checkpoint_of_the_model_with_Causal_changed_is_refused_naming_Causal()
    {
        using var saved = new SavedGpt();
        var path = Checkpoint.Save(saved, Path.Combine(_directory, "gpt.safetensors"), CheckpointMetadata.For(saved));
        using var edited = new EditedCausal.CkptGpt();
        // Same names and shapes: the weights alone would load.
        edited.load_safetensors(path);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(edited, path));

        Assert.Contains($"'{path}' was saved from a model with Causal = true, but CkptGpt has Causal = false", error.Message);
    }

    [Fact]
    public void A_checkpoint_of_the_model_with_another_activation_is_refused_naming_the_feed_forward_activation()
    {
        using var saved = new SavedGpt();
        var path = Checkpoint.Save(saved, Path.Combine(_directory, "gpt.pt"), CheckpointMetadata.For(saved));
        using var edited = new EditedActivation.CkptGpt();

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(edited, path));

        Assert.Contains("FeedForward.Activation = Gelu, but CkptGpt has FeedForward.Activation = Relu", error.Message);
    }

    [Fact]
    public void Spec_differences_are_named_down_to_the_attention_declaration()
    {
        var difference = SpecJson.FirstDifference(SpecJson.ToJson(TinyHybrid.Spec), SpecJson.ToJson(TinyHybrid.Spec with
        {
            Attention = XformerDsl.Specs.ImmutableEquatableArray.Create(
                TinyHybrid.Spec.Attention[0], TinyHybrid.Spec.Attention[1] with { Attention = new XformerDsl.Specs.FullAttentionSpec(8) }, TinyHybrid.Spec.Attention[2]),
        }));

        Assert.Equal(new SpecDifference("Attention[1].Attention.Heads", "4", "8"), difference);
        Assert.Null(SpecJson.FirstDifference(SpecJson.ToJson(TinyHybrid.Spec), SpecJson.ToJson(TinyHybrid.Spec with { })));
        Assert.Equal("Name", SpecJson.FirstDifference(SpecJson.ToJson(TinyGpt2.Spec), SpecJson.ToJson(TinyLlama.Spec))!.Part);
    }

    [Fact]
    public void A_spec_saved_before_heads_encoders_budgets_and_stacks_existed_still_matches_its_model()
    {
        // The JSON an earlier version wrote: no Head, Encoder, CrossAttention or Budget, no Stack on the declarations.
        var old = SpecJson.ToJson(TinyHybrid.Spec);
        foreach (var key in new[] { "Head", "Encoder", "CrossAttention", "Budget" })
            Assert.True(old.Remove(key), key);
        foreach (var declaration in old["Attention"]!.AsArray())
            Assert.True(declaration!.AsObject().Remove("Stack"));

        Assert.Null(SpecJson.FirstDifference(old, SpecJson.ToJson(TinyHybrid.Spec)));
        // A model that does have one of the new parts differs from it, named there.
        var classifier = TinyHybrid.Spec with { Causal = false, Head = new XformerDsl.Specs.ClassificationHeadSpec(2, Pooling.Mean) };
        Assert.Equal("Causal", SpecJson.FirstDifference(old, SpecJson.ToJson(classifier))!.Part);
        Assert.Equal("Head", SpecJson.FirstDifference(old, SpecJson.ToJson(classifier with { Causal = true }))!.Part);
        Assert.Equal("Attention[0].Stack", SpecJson.FirstDifference(old, SpecJson.ToJson(TinyHybrid.Spec with
        {
            Attention = XformerDsl.Specs.ImmutableEquatableArray.Create(TinyHybrid.Spec.Attention[0] with { Stack = ModelStack.Decoder },
                TinyHybrid.Spec.Attention[1], TinyHybrid.Spec.Attention[2]),
        }))!.Part);
    }

    [Fact]
    public void Flipping_a_thousand_bytes_of_tensor_data_is_refused_by_the_checksum()
    {
        torch.manual_seed(6);
        using var saved = new TinyGpt2();
        var path = Checkpoint.Save(saved, Path.Combine(_directory, "m.safetensors"), CheckpointMetadata.For(saved));
        var bytes = File.ReadAllBytes(path);
        // Safetensors keeps the tensor data after the header; the last thousand bytes are all tensor data.
        for (int i = bytes.Length - 1000; i < bytes.Length; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(path, bytes);
        using var fresh = new TinyGpt2();

        // Without the checksum the damage loads silently, and the logits turn NaN (0xFFFFFFFF is a NaN float).
        using (var unchecked_ = new TinyGpt2())
        {
            Checkpoint.LoadWeights(unchecked_, path);
            Assert.True(Logits(unchecked_).isnan().any().item<bool>());
        }
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(fresh, path));

        var recorded = Checkpoint.ReadMetadata(path).WeightsChecksum!;
        Assert.Contains($"'{path}' have checksum {Checkpoint.ChecksumOf(path)}", error.Message);
        Assert.Contains($"records {recorded}", error.Message);
        Assert.NotEqual(recorded, Checkpoint.ChecksumOf(path));
    }

    [Theory]
    [InlineData("m.safetensors")]
    [InlineData("m.pt")]
    public void A_truncated_file_gives_an_InvalidDataException_naming_the_file_not_an_EndOfStreamException(string file)
    {
        using var saved = new TinyGpt2();
        var path = Checkpoint.Save(saved, Path.Combine(_directory, file), CheckpointMetadata.For(saved));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var fresh = new TinyGpt2();

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(fresh, path));
        Assert.Contains($"'{path}' are {bytes.Length / 2:N0} bytes", error.Message);
        Assert.Contains("truncated", error.Message);

        var withoutSidecar = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(fresh, path));
        Assert.Contains(path, withoutSidecar.Message);
    }

    [Theory]
    [InlineData("m.safetensors")]
    [InlineData("m.pt")]
    public void A_save_that_fails_mid_write_leaves_the_previous_checkpoint_whole_and_no_temporary_files(string file)
    {
        torch.manual_seed(7);
        using var first = new TinyGpt2();
        var path = Checkpoint.Save(first, Path.Combine(_directory, file), CheckpointMetadata.For(first));
        var before = File.ReadAllBytes(path);
        torch.manual_seed(8);
        using var second = new TinyGpt2();

        Checkpoint.WriteStreamWrapper = stream => new FailingStream(stream, before.Length / 3);
        try
        {
            Assert.Throws<IOException>(() => Checkpoint.Save(second, path, CheckpointMetadata.For(second)));
        }
        finally
        {
            Checkpoint.WriteStreamWrapper = null;
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        using var fresh = new TinyGpt2();
        Checkpoint.Load(fresh, path);
        Assert.True(Logits(fresh).eq(Logits(first)).all().item<bool>());
    }

    [Fact]
    public void An_unknown_extension_is_refused_naming_the_ones_that_work()
    {
        using var model = new TinyGpt2();
        var error = Assert.Throws<ArgumentException>(() => Checkpoint.Save(model, Path.Combine(_directory, "m.weights"), CheckpointMetadata.For(model)));
        Assert.Contains(".safetensors", error.Message);
    }
}

/// <summary>Passes writes through until a byte budget is spent, then fails as a full disk would.</summary>
internal sealed class FailingStream(Stream inner, long budget) : Stream
{
    private long _written;
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => inner.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count)
    {
        if (_written + count > budget)
        {
            inner.Write(buffer, offset, (int)(budget - _written));
            throw new IOException("No space left on device (simulated).");
        }
        inner.Write(buffer, offset, count);
        _written += count;
    }
}
