// Runs a script of launches of convbench's CUDA C kernels on the host (host_emulation.hpp), for
// KernelsOnHostTest. Usage: kernels_on_host DIR < script
//
// Script lines: "launch NAME GRID BLOCK ARG..." with ARG one of buf:NAME (a float buffer read from
// DIR/NAME.f32, raw little-endian, and written back there after the script), i64:V, i32:V, f32:V.
// The argument types are checked against each kernel's parameter list, as CudaKernels.check does.
#include "host_emulation.hpp"
#include "convbench_kernels.cu"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace {

struct Arg {
    std::string type; // ptr, i64, i32, f32
    float* ptr = nullptr;
    long long i64 = 0;
    int i32 = 0;
    float f32 = 0;
};

std::map<std::string, std::vector<float>> buffers;
std::string dir;

[[noreturn]] void fail(const std::string& why) {
    std::cerr << "kernels_on_host: " << why << "\n";
    std::exit(2);
}

std::vector<float>& buffer(const std::string& name) {
    auto it = buffers.find(name);
    if (it != buffers.end()) return it->second;
    std::ifstream in(dir + "/" + name + ".f32", std::ios::binary | std::ios::ate);
    if (!in) fail("no buffer file " + name + ".f32");
    std::streamsize bytes = in.tellg();
    in.seekg(0);
    std::vector<float> v(bytes / sizeof(float));
    in.read(reinterpret_cast<char*>(v.data()), bytes);
    return buffers.emplace(name, std::move(v)).first->second;
}

Arg parse(const std::string& token) {
    auto colon = token.find(':');
    if (colon == std::string::npos) fail("argument without a type: " + token);
    Arg a;
    std::string kind = token.substr(0, colon), value = token.substr(colon + 1);
    if (kind == "buf") {
        a.type = "ptr";
        a.ptr = buffer(value).data();
    } else if (kind == "i64") {
        a.type = "i64";
        a.i64 = std::stoll(value);
    } else if (kind == "i32") {
        a.type = "i32";
        a.i32 = std::stoi(value);
    } else if (kind == "f32") {
        a.type = "f32";
        a.f32 = std::stof(value);
    } else {
        fail("unknown argument type " + kind);
    }
    return a;
}

void expect(const std::string& name, const std::vector<Arg>& args, const std::vector<std::string>& types) {
    bool ok = args.size() == types.size();
    for (size_t i = 0; ok && i < types.size(); i++) ok = args[i].type == types[i];
    if (!ok) fail("kernel " + name + " called with other argument types than it declares");
}

void run(const std::string& name, unsigned grid, unsigned block, const std::vector<Arg>& a) {
    if (name == "l2_loss") {
        expect(name, a, {"ptr", "i64", "ptr"});
        launch(grid, block, l2_loss, a[0].ptr, a[1].i64, a[2].ptr);
    } else if (name == "l2_loss_backward") {
        expect(name, a, {"ptr", "i64", "f32", "ptr", "i32"});
        launch(grid, block, l2_loss_backward, a[0].ptr, a[1].i64, a[2].f32, a[3].ptr, a[4].i32);
    } else if (name == "softmax_xent_rows") {
        expect(name, a, {"ptr", "ptr", "ptr", "i32", "ptr"});
        launch(grid, block, softmax_xent_rows, a[0].ptr, a[1].ptr, a[2].ptr, a[3].i32, a[4].ptr);
    } else if (name == "sum_scaled") {
        expect(name, a, {"ptr", "i32", "f32", "ptr"});
        launch(grid, block, sum_scaled, a[0].ptr, a[1].i32, a[2].f32, a[3].ptr);
    } else if (name == "softmax_xent_backward") {
        expect(name, a, {"ptr", "ptr", "i64", "f32", "ptr", "i32"});
        launch(grid, block, softmax_xent_backward, a[0].ptr, a[1].ptr, a[2].i64, a[3].f32, a[4].ptr, a[5].i32);
    } else if (name == "sgd_momentum") {
        expect(name, a, {"ptr", "ptr", "ptr", "i64", "f32", "f32"});
        launch(grid, block, sgd_momentum, a[0].ptr, a[1].ptr, a[2].ptr, a[3].i64, a[4].f32, a[5].f32);
    } else {
        fail("no kernel named " + name);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) fail("usage: kernels_on_host DIR < script");
    dir = argv[1];
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string verb, name;
        unsigned grid = 0, block = 0;
        if (!(words >> verb)) continue;
        if (verb != "launch" || !(words >> name >> grid >> block)) fail("bad script line: " + line);
        if (grid == 0 || block == 0 || block > 1024) fail("bad launch configuration in: " + line);
        std::vector<Arg> args;
        for (std::string token; words >> token;) args.push_back(parse(token));
        run(name, grid, block, args);
    }
    for (auto& [name, v] : buffers) {
        std::ofstream out(dir + "/" + name + ".f32", std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
        if (!out) fail("could not write " + name + ".f32");
    }
    return 0;
}
