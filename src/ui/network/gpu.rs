//! Links drawn by the GPU: with the wgpu renderer the Network view hands its
//! hundreds of thousands of links to the GPU as one hairline list (12 bytes
//! a vertex, no tessellation), through an egui paint callback. The glow
//! renderer, and any frame recorded for export, keeps the CPU mesh.

use std::sync::Arc;

use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, ScreenDescriptor, wgpu};
use egui::{Color32, Pos2, Rect};

/// Line vertices as the GPU reads them: x, y (points, f32) and an RGBA
/// colour (premultiplied, as egui's), 12 bytes each, two per line, in
/// chunks written in parallel; `opacity` scales them all on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct LineList {
    chunks: Vec<Vec<u8>>,
    /// Multiplies every line's colour (0 to 1).
    pub opacity: f32,
}

impl Default for LineList {
    fn default() -> Self {
        LineList {
            chunks: Vec::new(),
            opacity: 1.0,
        }
    }
}

/// Bytes of one vertex.
const VERTEX_BYTES: usize = 12;

impl LineList {
    /// Bytes of one line (two vertices).
    pub const LINE_BYTES: usize = 2 * VERTEX_BYTES;

    /// Appends a line from `a` to `b` to vertex bytes.
    pub fn write(bytes: &mut Vec<u8>, a: Pos2, b: Pos2, color: Color32) {
        let rgba = color.to_array();
        for p in [a, b] {
            let mut v = [0u8; VERTEX_BYTES];
            v[0..4].copy_from_slice(&p.x.to_le_bytes());
            v[4..8].copy_from_slice(&p.y.to_le_bytes());
            v[8..12].copy_from_slice(&rgba);
            bytes.extend_from_slice(&v);
        }
    }

    /// Lines from chunks of bytes made by [`LineList::write`].
    pub fn from_chunks(chunks: Vec<Vec<u8>>) -> LineList {
        LineList {
            chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            opacity: 1.0,
        }
    }

    fn byte_len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Lines held.
    pub fn len(&self) -> usize {
        self.byte_len() / (2 * VERTEX_BYTES)
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

const SHADER: &str = r"
struct Locals { rect: vec4<f32>, opacity: vec4<f32> };
@group(0) @binding(0) var<uniform> locals: Locals;

struct Out {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(@location(0) pos: vec2<f32>, @location(1) color: vec4<f32>) -> Out {
    // The viewport is the canvas: points relative to it, to clip space.
    let t = (pos - locals.rect.xy) / locals.rect.zw;
    var out: Out;
    out.position = vec4<f32>(t.x * 2.0 - 1.0, 1.0 - t.y * 2.0, 0.0, 1.0);
    out.color = color * locals.opacity.x;
    return out;
}

@fragment
fn fs_gamma(in: Out) -> @location(0) vec4<f32> {
    return in.color;
}

fn linear_from_gamma(srgb: vec3<f32>) -> vec3<f32> {
    let cutoff = srgb < vec3<f32>(0.04045);
    let lower = srgb / vec3<f32>(12.92);
    let higher = pow((srgb + vec3<f32>(0.055)) / vec3<f32>(1.055), vec3<f32>(2.4));
    return select(higher, lower, cutoff);
}

@fragment
fn fs_linear(in: Out) -> @location(0) vec4<f32> {
    return vec4<f32>(linear_from_gamma(in.color.rgb), in.color.a);
}
";

/// The pipeline and buffers, kept in egui_wgpu's callback resources.
struct LinePipeline {
    pipeline: wgpu::RenderPipeline,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    vertices: wgpu::Buffer,
    /// Vertices written by the last prepare.
    count: u32,
}

/// Builds the line pipeline for this renderer; after this, the Network
/// view draws its links on the GPU. Called once when the window opens.
pub fn install(rs: &egui_wgpu::RenderState) {
    let device = &rs.device;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("network_lines"),
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let uniform = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("network_lines_uniform"),
        size: 32,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("network_lines_layout"),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: std::num::NonZeroU64::new(32),
            },
            count: None,
        }],
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("network_lines_bind_group"),
        layout: &layout,
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("network_lines_pipeline_layout"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("network_lines_pipeline"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: VERTEX_BYTES as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4],
            })],
            compilation_options: wgpu::PipelineCompilationOptions::default(),
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::LineList,
            ..wgpu::PrimitiveState::default()
        },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        // Blending as egui's own pipeline: premultiplied colours.
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some(if rs.target_format.is_srgb() {
                "fs_linear"
            } else {
                "fs_gamma"
            }),
            targets: &[Some(wgpu::ColorTargetState {
                format: rs.target_format,
                blend: Some(wgpu::BlendState {
                    color: wgpu::BlendComponent {
                        src_factor: wgpu::BlendFactor::One,
                        dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
                        operation: wgpu::BlendOperation::Add,
                    },
                    alpha: wgpu::BlendComponent {
                        src_factor: wgpu::BlendFactor::OneMinusDstAlpha,
                        dst_factor: wgpu::BlendFactor::One,
                        operation: wgpu::BlendOperation::Add,
                    },
                }),
                write_mask: wgpu::ColorWrites::ALL,
            })],
            compilation_options: wgpu::PipelineCompilationOptions::default(),
        }),
        multiview_mask: None,
        cache: None,
    });
    let vertices = vertex_buffer(device, 1 << 16);
    rs.renderer.write().callback_resources.insert(LinePipeline {
        pipeline,
        uniform,
        bind_group,
        vertices,
        count: 0,
    });
}

fn vertex_buffer(device: &wgpu::Device, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("network_lines_vertices"),
        size,
        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// One frame's lines inside the canvas `rect`.
pub struct LinesCallback {
    rect: Rect,
    lines: Arc<LineList>,
}

/// The paint-callback shape drawing `lines` (screen points) in `rect`.
pub fn shape(rect: Rect, lines: Arc<LineList>) -> egui::Shape {
    egui::Shape::Callback(egui_wgpu::Callback::new_paint_callback(
        rect,
        LinesCallback { rect, lines },
    ))
}

impl CallbackTrait for LinesCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(p) = resources.get_mut::<LinePipeline>() else {
            return Vec::new();
        };
        let needed = self.lines.byte_len() as u64;
        if needed > p.vertices.size() {
            p.vertices = vertex_buffer(device, needed.next_power_of_two());
        }
        let mut offset = 0;
        for chunk in &self.lines.chunks {
            queue.write_buffer(&p.vertices, offset, chunk);
            offset += chunk.len() as u64;
        }
        let r = self.rect;
        let o = self.lines.opacity.clamp(0.0, 1.0);
        let mut locals = Vec::with_capacity(32);
        for v in [
            r.min.x,
            r.min.y,
            r.width().max(1.0),
            r.height().max(1.0),
            o,
            o,
            o,
            o,
        ] {
            locals.extend_from_slice(&v.to_le_bytes());
        }
        queue.write_buffer(&p.uniform, 0, &locals);
        p.count = (needed / VERTEX_BYTES as u64) as u32;
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(p) = resources.get::<LinePipeline>() else {
            return;
        };
        if p.count == 0 {
            return;
        }
        pass.set_pipeline(&p.pipeline);
        pass.set_bind_group(0, &p.bind_group, &[]);
        pass.set_vertex_buffer(
            0,
            p.vertices
                .slice(..(u64::from(p.count) * VERTEX_BYTES as u64)),
        );
        pass.draw(0..p.count, 0..1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_two_twelve_byte_vertices() {
        let mut one = Vec::new();
        LineList::write(
            &mut one,
            Pos2::new(1.0, 2.0),
            Pos2::new(3.0, 4.0),
            Color32::RED,
        );
        let l = LineList::from_chunks(vec![one]);
        assert_eq!(l.len(), 1);
        let bytes = &l.chunks[0];
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[0..4], &1.0f32.to_le_bytes());
        assert_eq!(&bytes[8..12], &Color32::RED.to_array());
        assert_eq!(&bytes[12..16], &3.0f32.to_le_bytes());
        // Chunks count together; empty ones are dropped.
        let mut more = Vec::new();
        LineList::write(&mut more, Pos2::ZERO, Pos2::new(5.0, 5.0), Color32::BLUE);
        let l = LineList::from_chunks(vec![bytes.clone(), Vec::new(), more]);
        assert_eq!((l.len(), l.chunks.len()), (2, 2));
    }
}
